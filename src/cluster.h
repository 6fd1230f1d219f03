/* cluster.h: the processes of one sweep started as an MPI job.
 *
 * The only module that sees MPI. `mpirun -np R sweep CONFIG` (or `srun
 * --mpi=pmix`) starts R processes, the ranks. Rank 0 reads the config, owns
 * the results file and hands runs out; the others train what they are given
 * (the protocol is protocol.c's; this module only moves bytes).
 *
 * A process started without an MPI launcher is a cluster of one and never
 * initializes MPI: Open MPI's stand-alone start spawns a helper daemon and
 * costs ~0.3 s, for nothing. The launcher is recognized by the variables it
 * puts in the environment (Open MPI's OMPI_COMM_WORLD_SIZE, PMIx's
 * PMIX_RANK, MPICH's and Slurm's PMI_SIZE / PMI_RANK).
 *
 * Threads: MPI is initialized with MPI_THREAD_FUNNELED, so every function
 * here must be called from the thread that called cluster_start (the main
 * thread, which is also OpenMP thread 0 of the sweep's team).
 *
 * Waiting never spins. MPI's blocking calls busy-poll a core, which on a node
 * whose cores all train would steal time from the training; every wait here
 * tests for completion and sleeps a millisecond between tests.
 *
 * Messages are bytes: all ranks run the same binary on the same kind of
 * machine (the usual cluster), so numbers travel in their memory form and
 * arrive bit for bit.
 */
#ifndef SWEEP_CLUSTER_H
#define SWEEP_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

typedef struct cluster cluster;

/* Join the MPI job this process was launched in, or make a cluster of one.
 * ERROR_INPUT when started as several ranks by a build without MPI (each
 * would run the whole sweep); ERROR_RUNTIME when MPI fails to start. */
int cluster_start(int *argc, char ***argv, cluster **out, sweep_error *err);

/* Leave the job: MPI_Finalize after the last sends have left, or, after
 * an MPI call failed (cluster_failed), MPI_Abort with `exit_status`, which
 * ends every rank (a finalize could wait forever for a rank that no longer
 * talks). NULL is allowed. */
void cluster_end(cluster *job, int exit_status);

/* An MPI call has failed, or cluster_give_up was called: the ranks may not
 * be able to talk any more. */
bool cluster_failed(const cluster *job);

/* Mark the job failed: the caller stops talking to the other ranks (say,
 * after a malformed message), and cluster_end will end them. */
void cluster_give_up(cluster *job);

/* This process's rank (0..size-1) and the number of ranks; 0 and 1 for
 * NULL or a cluster of one. */
int cluster_rank(const cluster *job);
int cluster_size(const cluster *job);

/* The rank an MPI launcher gave this process (0 without one), known even
 * when cluster_start fails: only rank 0 reports that failure. */
int cluster_launcher_rank(void);

/* Whether this build can join MPI jobs. */
bool cluster_has_mpi(void);

/* Collective: rank 0 sends `size` bytes to every other rank. Every rank
 * must call the broadcasts in the same order: rank 0 with
 * cluster_broadcast, the others with cluster_receive_broadcast, which
 * returns the bytes malloc'd (the caller frees them). */
int cluster_broadcast(cluster *job, const void *bytes, size_t size, sweep_error *err);
int cluster_receive_broadcast(cluster *job, void **bytes, size_t *size, sweep_error *err);

/* Send `size` bytes to rank `to` with `tag` (0..32767) without waiting. The
 * buffer must be malloc'd and becomes the cluster's, which frees it once
 * sent (also on failure). Messages from one rank to another arrive in the
 * order sent. */
int cluster_send(cluster *job, int to, int tag, void *bytes, size_t size, sweep_error *err);

/* Take one message that has arrived, from any rank: 1 with *from, *tag and
 * *bytes (malloc'd, or NULL when size is 0; the caller frees it); 0 when
 * none is waiting; -1 on error. Never waits. */
int cluster_receive(cluster *job, int *from, int *tag, void **bytes, size_t *size,
                    sweep_error *err);

/* Free the buffers of the sends that have left; never waits. */
int cluster_progress(cluster *job, sweep_error *err);

/* Wait until every message sent has left. */
int cluster_flush(cluster *job, sweep_error *err);


/* The host name of this rank, for messages. */
const char *cluster_host(const cluster *job);

#endif
