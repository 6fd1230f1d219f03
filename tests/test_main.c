/* Tests of src/main.c: the `sweep` command line end to end, through the real
 * binary (SWEEP_BINARY, set by CMake). Exit statuses and messages are the
 * contract: 0 success, 1 runtime error, 2 usage/config/data error; every
 * error is one line on stderr; bad input never creates an output file and an
 * existing one is never overwritten without --overwrite. */
/* realpath */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    char dir[256];   /* a fresh temporary folder per test */
    int status;      /* exit status of the last command */
    char out[65536]; /* its stdout */
    char err[65536]; /* its stderr */
} cli_state;

static int setup(void **state)
{
    cli_state *cli = calloc(1, sizeof *cli);
    if (cli == NULL)
        return -1;
    snprintf(cli->dir, sizeof cli->dir, "/tmp/sweep_test_main_XXXXXX");
    if (mkdtemp(cli->dir) == NULL)
        return -1;
    *state = cli;
    return 0;
}

static int teardown(void **state)
{
    cli_state *cli = *state;
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", cli->dir);
    int rc = system(command);
    free(cli);
    return rc == 0 ? 0 : -1;
}

static void read_file(const char *path, char *buffer, size_t size)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    size_t n = fread(buffer, 1, size - 1, file);
    buffer[n] = '\0';
    fclose(file);
}

/* Run the binary with `args` (a shell fragment) inside the test's folder. */
static void run_sweep(cli_state *cli, const char *args)
{
    char command[4096];
    snprintf(command, sizeof command, "cd '%s' && '%s' %s >stdout.txt 2>stderr.txt", cli->dir,
             SWEEP_BINARY, args);
    int raw = system(command);
    assert_true(WIFEXITED(raw));
    cli->status = WEXITSTATUS(raw);
    char path[512];
    snprintf(path, sizeof path, "%s/stdout.txt", cli->dir);
    read_file(path, cli->out, sizeof cli->out);
    snprintf(path, sizeof path, "%s/stderr.txt", cli->dir);
    read_file(path, cli->err, sizeof cli->err);
}

static void write_text(cli_state *cli, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", cli->dir, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static bool exists(cli_state *cli, const char *name)
{
    char path[512];
    struct stat info;
    snprintf(path, sizeof path, "%s/%s", cli->dir, name);
    return stat(path, &info) == 0;
}

static int count_lines(const char *text)
{
    int lines = 0;
    for (; *text; text++)
        lines += *text == '\n';
    return lines;
}

static const char SMALL_CONFIG[] = "name: small\n"
                                   "model: {epochs: 3, l2: 0.01}\n"
                                   "grid:\n"
                                   "  batch_size: [32, 128]\n"
                                   "  seed: [1, 2]\n";

static void test_version_and_help(void **state)
{
    cli_state *cli = *state;
    run_sweep(cli, "--version");
    assert_int_equal(cli->status, 0);
    assert_string_equal(cli->out, "sweep " SWEEP_VERSION "\n");
    run_sweep(cli, "--help");
    assert_int_equal(cli->status, 0);
    assert_non_null(strstr(cli->out, "usage: sweep CONFIG"));
    assert_non_null(strstr(cli->out, "--dry-run"));
}

static void test_usage_errors_exit_2_with_one_line(void **state)
{
    cli_state *cli = *state;
    struct {
        const char *args;
        const char *message;
    } cases[] = {
        {"", "sweep: no CONFIG given (usage: sweep CONFIG [options]; see sweep --help)\n"},
        {"a.yaml --bogus", "sweep: unknown option '--bogus' (see sweep --help)\n"},
        {"a.yaml -j abc",
         "sweep: -j: threads must be a whole number in 0..4096 (0 = all cores), got 'abc'\n"},
        {"a.yaml -j -1",
         "sweep: -j: threads must be a whole number in 0..4096 (0 = all cores), got '-1'\n"},
        {"a.yaml -j 60000",
         "sweep: -j: threads must be a whole number in 0..4096 (0 = all cores), got '60000'\n"},
        {"a.yaml \"--bogus$(printf '\\033[31m')\"",
         "sweep: unknown option '--bogus\\x1B[31m' (see sweep --help)\n"},
        {"a.yaml -o", "sweep: -o needs a value\n"},
        {"a.yaml b.yaml", "sweep: unexpected argument 'b.yaml' (one CONFIG only)\n"},
        {"a.yaml --set epochs", "sweep: --set epochs: expected KEY=VALUE\n"},
        {"a.yaml --max-runs 0",
         "sweep: --max-runs: expected a whole number in 1..9223372036854775807, got '0'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_sweep(cli, cases[i].args);
        assert_int_equal(cli->status, 2);
        assert_string_equal(cli->err, cases[i].message);
        assert_string_equal(cli->out, "");
    }
}

static void test_config_errors_exit_2_and_create_nothing(void **state)
{
    cli_state *cli = *state;
    run_sweep(cli, "missing.yaml");
    assert_int_equal(cli->status, 2);
    assert_int_equal(count_lines(cli->err), 1);
    assert_non_null(strstr(cli->err, "missing.yaml"));

    write_text(cli, "bad.yaml", "model:\n  epochs: 0\n");
    run_sweep(cli, "bad.yaml -o out.h5");
    assert_int_equal(cli->status, 2);
    assert_int_equal(count_lines(cli->err), 1);
    assert_non_null(strstr(cli->err, "bad.yaml:2:11: "));
    assert_false(exists(cli, "out.h5"));
    assert_false(exists(cli, "results"));

    /* A bad CSV is a data error: exit 2, the file and line named. */
    write_text(cli, "ragged.csv", "a,b,target\n1,2,0\n3,4\n");
    write_text(cli, "csv.yaml", "dataset: {path: ragged.csv, val_fraction: 0.5}\n");
    run_sweep(cli, "csv.yaml -o out.h5");
    assert_int_equal(cli->status, 2);
    assert_int_equal(count_lines(cli->err), 1);
    assert_non_null(strstr(cli->err, "ragged.csv:3"));
    assert_false(exists(cli, "out.h5"));
}

static void test_run_refuse_overwrite_then_overwrite(void **state)
{
    cli_state *cli = *state;
    write_text(cli, "small.yaml", SMALL_CONFIG);
    run_sweep(cli, "small.yaml -q -j 2");
    assert_int_equal(cli->status, 0);
    assert_string_equal(cli->err, "");
    assert_true(exists(cli, "results/small.h5"));
    /* The summary: one row per batch size, two seeds each. */
    assert_non_null(strstr(cli->out, "batch_size"));
    assert_int_equal(count_lines(cli->out), 3);

    struct stat before, after;
    char path[512];
    snprintf(path, sizeof path, "%s/results/small.h5", cli->dir);
    assert_int_equal(stat(path, &before), 0);
    run_sweep(cli, "small.yaml -q");
    assert_int_equal(cli->status, 2);
    assert_string_equal(cli->err,
                        "sweep: results/small.h5: exists (use --overwrite to replace it)\n");
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
    assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
    assert_int_equal(before.st_size, after.st_size);

    run_sweep(cli, "small.yaml -q --overwrite");
    assert_int_equal(cli->status, 0);
}

static void test_dry_run_trains_nothing(void **state)
{
    cli_state *cli = *state;
    write_text(cli, "small.yaml", SMALL_CONFIG);
    run_sweep(cli, "small.yaml --dry-run --set 'grid.seed={range: [0, 3]}'");
    assert_int_equal(cli->status, 0);
    assert_non_null(strstr(cli->out, "6 runs\n"));
    assert_false(exists(cli, "results"));
}

static void test_progress_and_output_option(void **state)
{
    cli_state *cli = *state;
    write_text(cli, "small.yaml", SMALL_CONFIG);
    run_sweep(cli, "small.yaml -o sub/dir/x.h5 --set model.epochs=2");
    assert_int_equal(cli->status, 0);
    assert_true(exists(cli, "sub/dir/x.h5"));
    /* stderr is a file here: plain progress lines, then the closing line. */
    assert_null(strchr(cli->err, '\r'));
    assert_non_null(strstr(cli->err, "sweep: 4/4 runs (100%)"));
    assert_non_null(strstr(cli->err, "sweep: 4 runs (4 done, 0 failed) in "));
}

/* `threads:` and -j obey one bound, said in the same words. */
static void test_thread_limit_is_one_rule(void **state)
{
    cli_state *cli = *state;
    write_text(cli, "t.yaml", "threads: 60000\n");
    run_sweep(cli, "t.yaml");
    assert_int_equal(cli->status, 2);
    assert_string_equal(cli->err, "sweep: t.yaml:1:10: threads must be a whole number in 0..4096 "
                                  "(0 = all cores), got 60000\n");
}

static void test_merge_help(void **state)
{
    cli_state *cli = *state;
    const char *forms[] = {"merge --help", "merge -h", "merge out.h5 --help"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        run_sweep(cli, forms[i]);
        assert_int_equal(cli->status, 0);
        assert_string_equal(cli->err, "");
        assert_non_null(strstr(cli->out, "usage: sweep merge OUT PART... [--overwrite] [-q]\n"));
        assert_non_null(strstr(cli->out, "--overwrite"));
        assert_false(exists(cli, "out.h5"));
    }
}

/* A summary that cannot be written (stdout on a full disk) is an error: one
 * line on stderr and exit 1; the results file is complete all the same. */
static void test_lost_summary_is_reported(void **state)
{
    cli_state *cli = *state;
    write_text(cli, "small.yaml", SMALL_CONFIG);
    char command[4096];
    snprintf(command, sizeof command, "cd '%s' && '%s' small.yaml -q >/dev/full 2>stderr.txt",
             cli->dir, SWEEP_BINARY);
    int raw = system(command);
    assert_true(WIFEXITED(raw));
    assert_int_equal(WEXITSTATUS(raw), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", cli->dir);
    read_file(path, cli->err, sizeof cli->err);
    assert_string_equal(cli->err, "sweep: cannot write to standard output: No space left on "
                                  "device\n");
    run_sweep(cli, "small.yaml -q --resume");
    assert_int_equal(cli->status, 0);
    assert_int_equal(count_lines(cli->out), 3); /* every run was done: nothing to train */
    snprintf(command, sizeof command, "cd '%s' && '%s' --help >/dev/full 2>/dev/null", cli->dir,
             SWEEP_BINARY);
    raw = system(command);
    assert_int_equal(WEXITSTATUS(raw), 1);
}

/* Bytes a terminal would act on, from a CSV header, are shown escaped; a
 * data path that cannot be opened is named at its config position, as
 * written and as resolved; `name:` cannot leave results/. */
static void test_data_and_name_messages(void **state)
{
    cli_state *cli = *state;
    write_text(cli, "esc.csv", "a\x1b[2J,b,label\n1,2,0\n3,4,1\n");
    write_text(cli, "esc.yaml", "dataset: {path: esc.csv, val_fraction: 0.5}\n");
    run_sweep(cli, "esc.yaml");
    assert_int_equal(cli->status, 2);
    assert_string_equal(cli->err, "sweep: esc.csv:1: no target column 'target'; the columns "
                                  "are: a\\x1B[2J, b, label\n");

    write_text(cli, "exp.yaml", "dataset: {path: no_such_file.csv}\n");
    run_sweep(cli, "exp.yaml");
    assert_int_equal(cli->status, 2);
    char folder[4096], expected[8192];
    assert_non_null(realpath(cli->dir, folder));
    snprintf(expected, sizeof expected,
             "sweep: exp.yaml:1:17: dataset.path: cannot open 'no_such_file.csv' (resolved to "
             "%s/no_such_file.csv): No such file or directory\n",
             folder);
    assert_string_equal(cli->err, expected);

    write_text(cli, "escape.yaml", "name: ../../escape\nmodel: {epochs: 1}\n");
    run_sweep(cli, "escape.yaml");
    assert_int_equal(cli->status, 2);
    assert_string_equal(cli->err,
                        "sweep: escape.yaml:1:7: name must be a plain name (no '/', not '.' or "
                        "'..', no control characters): it names results/<name>.h5, got "
                        "../../escape\n");
    assert_false(exists(cli, "results"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_and_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors_exit_2_with_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_errors_exit_2_and_create_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_refuse_overwrite_then_overwrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run_trains_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_progress_and_output_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_limit_is_one_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_summary_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_and_name_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
