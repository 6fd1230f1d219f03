/* Tests of src/cluster.c without a launcher: a process started without
 * mpirun is a cluster of one, and which rank a launcher gave a process is
 * read from its environment. (The MPI paths themselves run under mpirun in
 * tests/mpi/test_mpi.py.) Reference: the values set; exact comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "cluster.h"

static void without_a_launcher_a_cluster_of_one(void **state)
{
    (void)state;
    unsetenv("OMPI_COMM_WORLD_RANK");
    unsetenv("PMIX_RANK");
    unsetenv("PMI_RANK");
    cluster *job = NULL;
    sweep_error err = {0};
    int argc = 1;
    char *args[] = {"sweep", NULL};
    char **argv = args;
    assert_int_equal(cluster_start(&argc, &argv, &job, &err), 0);
    assert_non_null(job);
    assert_int_equal(cluster_rank(job), 0);
    assert_int_equal(cluster_size(job), 1);
    assert_false(cluster_failed(job));
    assert_true(cluster_host(job)[0] != '\0');
    /* Nothing is waiting, and there is nothing to send out. */
    int from = -1, tag = -1;
    void *bytes = NULL;
    size_t size = 0;
    assert_int_equal(cluster_receive(job, &from, &tag, &bytes, &size, &err), 0);
    assert_int_equal(cluster_flush(job, &err), 0);
    cluster_end(job, 0);
    /* NULL stands for a cluster of one too. */
    assert_int_equal(cluster_rank(NULL), 0);
    assert_int_equal(cluster_size(NULL), 1);
    cluster_end(NULL, 0);
}

static void launcher_rank_read_from_the_environment(void **state)
{
    (void)state;
    unsetenv("OMPI_COMM_WORLD_RANK");
    unsetenv("PMIX_RANK");
    unsetenv("PMI_RANK");
    assert_int_equal(cluster_launcher_rank(), 0);
    setenv("PMI_RANK", "7", 1);
    assert_int_equal(cluster_launcher_rank(), 7);
    setenv("OMPI_COMM_WORLD_RANK", "3", 1); /* Open MPI's own first */
    assert_int_equal(cluster_launcher_rank(), 3);
    setenv("OMPI_COMM_WORLD_RANK", "x", 1); /* not a number: the next one */
    assert_int_equal(cluster_launcher_rank(), 7);
    unsetenv("OMPI_COMM_WORLD_RANK");
    unsetenv("PMI_RANK");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_a_launcher_a_cluster_of_one),
        cmocka_unit_test(launcher_rank_read_from_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
