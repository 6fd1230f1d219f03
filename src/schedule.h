/* schedule.h: in which order runs are trained, and how a grid is split into
 * shards.
 *
 * Both rest on a rough cost of each run (its multiply-adds), computed from
 * the run's hyperparameters and the data set's shape alone, in plain double
 * arithmetic: the same config and data give the same costs, the same order
 * and the same shards on every machine, which is what lets independent jobs
 * of a job array agree on who trains what without talking to each other.
 */
#ifndef SWEEP_SCHEDULE_H
#define SWEEP_SCHEDULE_H

#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "params.h"

/* The cost of a run in multiply-adds, roughly. */
double schedule_cost(const train_params *params, const dataset *data);

/* The runs to train (those with copy_from[run] < 0; all when copy_from is
 * NULL) into schedule[0..*n_scheduled), most expensive first, ties in grid
 * order, so that no worker is left with a long run at the end. `schedule`
 * holds n_runs entries. */
int schedule_order(const train_params *runs, size_t n_runs, const long long *copy_from,
                   const dataset *data, size_t *schedule, size_t *n_scheduled, sweep_error *err);

/* Shard `shard_index` (0-based) of `shard_count` disjoint shards that
 * together hold every run: *members (malloc'd, ascending run numbers) and
 * *n_members. The runs are dealt out most expensive first, each to the shard
 * with the least estimated cost so far (ties: the lowest shard), so the
 * shards' total costs differ by at most one run's. ERROR_INPUT when a shard
 * would be empty (more shards than runs). */
int schedule_shard(const train_params *runs, size_t n_runs, const dataset *data, int shard_index,
                   int shard_count, size_t **members, size_t *n_members, sweep_error *err);

#endif
