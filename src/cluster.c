/* cluster.c: MPI, when the build has it (SWEEP_HAVE_MPI), else a cluster of
 * one that refuses to be started as several ranks. See cluster.h. */
#include "cluster.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef SWEEP_HAVE_MPI
#include <mpi.h>
#endif

/* The environment variables by which MPI launchers tell a process its rank
 * and the job's size: Open MPI's mpirun, PMIx (srun --mpi=pmix, prterun),
 * PMI-1/2 (MPICH's Hydra, srun --mpi=pmi2). */
static const char *const LAUNCHER_RANK_VARIABLES[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                                                      "PMI_RANK"};

/* A non-negative whole number from the environment, or -1. */
static long environment_number(const char *name)
{
    const char *text = getenv(name);
    if (text == NULL || text[0] == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < 0)
        return -1;
    return value;
}

/* Was this process started by an MPI launcher? */
static bool launched_by_mpi(void)
{
    for (size_t i = 0; i < sizeof LAUNCHER_RANK_VARIABLES / sizeof *LAUNCHER_RANK_VARIABLES; i++)
        if (environment_number(LAUNCHER_RANK_VARIABLES[i]) >= 0)
            return true;
    return false;
}

/* A send in flight: its buffer is freed when MPI is done with it. */
typedef struct outgoing {
#ifdef SWEEP_HAVE_MPI
    MPI_Request request;
#endif
    void *bytes;
    struct outgoing *next;
} outgoing;

struct cluster {
    int rank;
    int size;
    bool joined; /* MPI was initialized by us */
    bool failed; /* an MPI call failed */
    char host[256];
    outgoing *sends; /* in flight, newest first */
#ifdef SWEEP_HAVE_MPI
    MPI_Comm comm; /* our own copy of MPI_COMM_WORLD */
#endif
};

int cluster_rank(const cluster *job)
{
    return job != NULL ? job->rank : 0;
}

int cluster_size(const cluster *job)
{
    return job != NULL ? job->size : 1;
}

bool cluster_failed(const cluster *job)
{
    return job != NULL && job->failed;
}

void cluster_give_up(cluster *job)
{
    if (job != NULL)
        job->failed = true;
}

const char *cluster_host(const cluster *job)
{
    return job != NULL ? job->host : "localhost";
}

static cluster *cluster_new(void)
{
    cluster *made = calloc(1, sizeof *made);
    if (made == NULL)
        return NULL;
    made->size = 1;
    if (gethostname(made->host, sizeof made->host) != 0)
        snprintf(made->host, sizeof made->host, "unknown");
    made->host[sizeof made->host - 1] = '\0';
    return made;
}

#ifdef SWEEP_HAVE_MPI

/* Sleep about a millisecond: the pause between two looks at the messages. */
static void cluster_pause(void)
{
    struct timespec pause = {0, 1000000L};
    nanosleep(&pause, NULL);
}

bool cluster_has_mpi(void)
{
    return true;
}

/* "MPI: <what>: <MPI's own words for code>" as a runtime error; the job is
 * marked failed. */
static int mpi_error(cluster *job, sweep_error *err, const char *what, int code)
{
    if (job != NULL)
        job->failed = true;
    char text[MPI_MAX_ERROR_STRING] = "";
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", code);
    return error_set(err, ERROR_RUNTIME, "MPI: %s: %s", what, text);
}

/* Wait for a request by testing it, a millisecond apart (see cluster.h). */
static int wait_politely(cluster *job, MPI_Request *request, const char *what, sweep_error *err)
{
    for (;;) {
        int done = 0;
        int rc = MPI_Test(request, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_error(job, err, what, rc);
        if (done)
            return 0;
        cluster_pause();
    }
}

int cluster_start(int *argc, char ***argv, cluster **out, sweep_error *err)
{
    *out = NULL;
    cluster *made = cluster_new();
    if (made == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    if (!launched_by_mpi()) {
        *out = made;
        return 0;
    }
    int provided = MPI_THREAD_SINGLE;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) {
        free(made);
        return error_set(err, ERROR_RUNTIME, "MPI does not start (error %d)", rc);
    }
    made->joined = true;
    if (provided < MPI_THREAD_FUNNELED) {
        MPI_Finalize();
        free(made);
        return error_set(err, ERROR_RUNTIME,
                         "MPI does not support threads (MPI_THREAD_FUNNELED); sweep needs it");
    }
    rc = MPI_Comm_dup(MPI_COMM_WORLD, &made->comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_set_errhandler(made->comm, MPI_ERRORS_RETURN);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_rank(made->comm, &made->rank);
    if (rc == MPI_SUCCESS)
        rc = MPI_Comm_size(made->comm, &made->size);
    if (rc != MPI_SUCCESS) {
        mpi_error(NULL, err, "starting", rc);
        MPI_Finalize();
        free(made);
        return -1;
    }
    *out = made;
    return 0;
}

void cluster_end(cluster *job, int exit_status)
{
    if (job == NULL)
        return;
    if (job->joined && job->failed)
        MPI_Abort(MPI_COMM_WORLD, exit_status != 0 ? exit_status : 1);
    if (job->joined) {
        sweep_error ignored;
        cluster_flush(job, &ignored);
        MPI_Comm_free(&job->comm);
        MPI_Finalize();
    }
    free(job);
}

/* Broadcasts go in pieces of at most 1 GiB, below MPI's int counts. */
#define BROADCAST_PIECE ((size_t)1 << 30)

static int broadcast_bytes(cluster *job, void *bytes, size_t size, sweep_error *err)
{
    for (size_t start = 0; start < size; start += BROADCAST_PIECE) {
        size_t piece = size - start < BROADCAST_PIECE ? size - start : BROADCAST_PIECE;
        MPI_Request request;
        int rc = MPI_Ibcast((char *)bytes + start, (int)piece, MPI_BYTE, 0, job->comm, &request);
        if (rc != MPI_SUCCESS)
            return mpi_error(job, err, "broadcast", rc);
        if (wait_politely(job, &request, "broadcast", err) != 0)
            return -1;
    }
    return 0;
}

/* Sending to a cluster of one (which never started MPI) is a mistake. */
static int not_joined(sweep_error *err)
{
    return error_set(err, ERROR_RUNTIME, "MPI: this process is not part of an MPI job");
}

int cluster_broadcast(cluster *job, const void *bytes, size_t size, sweep_error *err)
{
    if (!job->joined)
        return not_joined(err);
    uint64_t length = size;
    if (broadcast_bytes(job, &length, sizeof length, err) != 0)
        return -1;
    return broadcast_bytes(job, (void *)bytes, size, err);
}

int cluster_receive_broadcast(cluster *job, void **bytes, size_t *size, sweep_error *err)
{
    uint64_t length = 0;
    *bytes = NULL;
    *size = 0;
    if (!job->joined)
        return not_joined(err);
    if (broadcast_bytes(job, &length, sizeof length, err) != 0)
        return -1;
    if (length > SIZE_MAX - 1)
        return error_set(err, ERROR_RUNTIME, "MPI: a broadcast of %llu bytes is too large",
                         (unsigned long long)length);
    void *received = malloc(length > 0 ? (size_t)length : 1);
    if (received == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for a broadcast of %llu bytes",
                         (unsigned long long)length);
    if (broadcast_bytes(job, received, (size_t)length, err) != 0) {
        free(received);
        return -1;
    }
    *bytes = received;
    *size = (size_t)length;
    return 0;
}

int cluster_send(cluster *job, int to, int tag, void *bytes, size_t size, sweep_error *err)
{
    if (!job->joined) {
        free(bytes);
        return not_joined(err);
    }
    if (size > INT_MAX) {
        free(bytes);
        return error_set(err, ERROR_RUNTIME, "MPI: a message of %zu bytes is too large", size);
    }
    outgoing *send = malloc(sizeof *send);
    if (send == NULL) {
        free(bytes);
        return error_set(err, ERROR_RUNTIME, "out of memory");
    }
    send->bytes = bytes;
    int rc = MPI_Isend(bytes, (int)size, MPI_BYTE, to, tag, job->comm, &send->request);
    if (rc != MPI_SUCCESS) {
        free(bytes);
        free(send);
        return mpi_error(job, err, "send", rc);
    }
    send->next = job->sends;
    job->sends = send;
    return 0;
}

int cluster_receive(cluster *job, int *from, int *tag, void **bytes, size_t *size, sweep_error *err)
{
    *bytes = NULL;
    *size = 0;
    if (!job->joined)
        return 0;
    int waiting = 0;
    MPI_Status status;
    int rc = MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, job->comm, &waiting, &status);
    if (rc != MPI_SUCCESS)
        return mpi_error(job, err, "receive", rc);
    if (!waiting)
        return 0;
    int count = 0;
    rc = MPI_Get_count(&status, MPI_BYTE, &count);
    if (rc != MPI_SUCCESS || count < 0)
        return mpi_error(job, err, "receive", rc != MPI_SUCCESS ? rc : MPI_ERR_COUNT);
    void *received = count > 0 ? malloc((size_t)count) : NULL;
    if (count > 0 && received == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for a message of %d bytes", count);
    /* Only this thread receives, so the message just probed is the one
     * matched: from one source, with one tag, messages do not overtake. */
    rc = MPI_Recv(received, count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, job->comm,
                  MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) {
        free(received);
        return mpi_error(job, err, "receive", rc);
    }
    *from = status.MPI_SOURCE;
    *tag = status.MPI_TAG;
    *bytes = received;
    *size = (size_t)count;
    return 1;
}

int cluster_progress(cluster *job, sweep_error *err)
{
    outgoing **link = &job->sends;
    while (*link != NULL) {
        outgoing *send = *link;
        int done = 0;
        int rc = MPI_Test(&send->request, &done, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_error(job, err, "send", rc);
        if (done) {
            *link = send->next;
            free(send->bytes);
            free(send);
        } else {
            link = &send->next;
        }
    }
    return 0;
}

int cluster_flush(cluster *job, sweep_error *err)
{
    while (job->sends != NULL) {
        if (cluster_progress(job, err) != 0)
            return -1;
        if (job->sends != NULL)
            cluster_pause();
    }
    return 0;
}

#else /* no MPI in this build */

/* The job's size as the launcher says it, or -1 when it does not. */
static long launcher_size(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        long size = environment_number(names[i]);
        if (size >= 0)
            return size;
    }
    return -1;
}

bool cluster_has_mpi(void)
{
    return false;
}

int cluster_start(int *argc, char ***argv, cluster **out, sweep_error *err)
{
    (void)argc;
    (void)argv;
    *out = NULL;
    long size = launcher_size();
    if (launched_by_mpi() && size > 1)
        return error_set(err, ERROR_INPUT,
                         "started as %ld MPI ranks, but this sweep was built without MPI (each "
                         "rank would run the whole sweep); install libopenmpi-dev and rebuild "
                         "(cmake -DSWEEP_MPI=ON), or run it without mpirun",
                         size);
    *out = cluster_new();
    if (*out == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    return 0;
}

void cluster_end(cluster *job, int exit_status)
{
    (void)exit_status;
    free(job);
}

static int no_mpi(sweep_error *err)
{
    return error_set(err, ERROR_RUNTIME, "this sweep was built without MPI");
}

int cluster_broadcast(cluster *job, const void *bytes, size_t size, sweep_error *err)
{
    (void)job;
    (void)bytes;
    (void)size;
    return no_mpi(err);
}

int cluster_receive_broadcast(cluster *job, void **bytes, size_t *size, sweep_error *err)
{
    (void)job;
    *bytes = NULL;
    *size = 0;
    return no_mpi(err);
}

int cluster_send(cluster *job, int to, int tag, void *bytes, size_t size, sweep_error *err)
{
    (void)job;
    (void)to;
    (void)tag;
    (void)size;
    free(bytes);
    return no_mpi(err);
}

int cluster_receive(cluster *job, int *from, int *tag, void **bytes, size_t *size, sweep_error *err)
{
    (void)job;
    (void)from;
    (void)tag;
    (void)err;
    *bytes = NULL;
    *size = 0;
    return 0;
}

int cluster_progress(cluster *job, sweep_error *err)
{
    (void)job;
    (void)err;
    return 0;
}

int cluster_flush(cluster *job, sweep_error *err)
{
    (void)job;
    (void)err;
    return 0;
}

#endif

int cluster_launcher_rank(void)
{
    for (size_t i = 0; i < sizeof LAUNCHER_RANK_VARIABLES / sizeof *LAUNCHER_RANK_VARIABLES; i++) {
        long rank = environment_number(LAUNCHER_RANK_VARIABLES[i]);
        if (rank >= 0)
            return rank > INT_MAX ? INT_MAX : (int)rank;
    }
    return 0;
}
