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

#include <stdbool.h>
#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "params.h"
#include "simd.h"

/* The cost of a run in multiply-adds, roughly. */
double schedule_cost(const train_params *params, const dataset *data);

/* The runs to train (those with copy_from[run] < 0; all when copy_from is
 * NULL) into schedule[0..*n_scheduled), most expensive first, ties in grid
 * order, so that no worker is left with a long run at the end. `schedule`
 * holds n_runs entries. */
int schedule_order(const train_params *runs, size_t n_runs, const long long *copy_from,
                   const dataset *data, size_t *schedule, size_t *n_scheduled, sweep_error *err);

/* Whether runs are trained side by side in packs (train_pack): yes unless
 * the environment variable SWEEP_NO_PACK is set to anything but "" or "0"
 * (the same results, bit for bit; for the tests and the benchmark). */
bool schedule_packing_enabled(void);

/* Runs per pack for runs like `params` on `data` with kernels of `isa`: the
 * model's pack width when it has packs and finds them worthwhile, else 1
 * (also when packing is disabled). */
int schedule_pack_width(const train_params *params, const dataset *data, simd_isa isa);

/* Group schedule[0..n_scheduled) (as schedule_order made it) into packs of
 * runs that can train side by side (train_params_packable and of equal
 * cost), at most schedule_pack_width runs each: reorders `schedule` so that
 * each pack's runs are consecutive, packs still most expensive first (a
 * pack in the place of its first run), and sets pack_end[slot] to one past
 * the last slot of the pack that holds `slot`. */
int schedule_packs(const train_params *runs, const dataset *data, simd_isa isa, size_t *schedule,
                   size_t n_scheduled, size_t *pack_end, sweep_error *err);

/* Shard `shard_index` (0-based) of `shard_count` disjoint shards that
 * together hold every run: *members (malloc'd, ascending run numbers) and
 * *n_members. The runs are dealt out most expensive first, each to the shard
 * with the least estimated cost so far (ties: the lowest shard), so the
 * shards' total costs differ by at most one run's. ERROR_INPUT when a shard
 * would be empty (more shards than runs). */
int schedule_shard(const train_params *runs, size_t n_runs, const dataset *data, int shard_index,
                   int shard_count, size_t **members, size_t *n_members, sweep_error *err);

#endif
