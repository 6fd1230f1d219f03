/* schedule.c: training order and shards. See schedule.h. */
#include "schedule.h"

#include "lanes.h"
#include "model.h"
#include "train.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

double schedule_cost(const train_params *params, const dataset *data)
{
    return model_get(params->model)->cost(params, data);
}

/* A run and its estimated cost, for ordering. */
typedef struct {
    double cost;
    size_t index;
} costed_run;

static int most_expensive_first(const void *left, const void *right)
{
    const costed_run *a = left, *b = right;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

/* The runs chosen by copy_from (see schedule_order), costed and sorted. */
static costed_run *sorted_runs(const train_params *runs, size_t n_runs, const long long *copy_from,
                               const dataset *data, size_t *n_sorted)
{
    costed_run *order = malloc((n_runs > 0 ? n_runs : 1) * sizeof *order);
    if (order == NULL)
        return NULL;
    size_t n = 0;
    for (size_t run = 0; run < n_runs; run++)
        if (copy_from == NULL || copy_from[run] < 0)
            order[n++] = (costed_run){schedule_cost(&runs[run], data), run};
    qsort(order, n, sizeof *order, most_expensive_first);
    *n_sorted = n;
    return order;
}

int schedule_order(const train_params *runs, size_t n_runs, const long long *copy_from,
                   const dataset *data, size_t *schedule, size_t *n_scheduled, sweep_error *err)
{
    size_t n = 0;
    costed_run *order = sorted_runs(runs, n_runs, copy_from, data, &n);
    if (order == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory for the schedule of %zu runs", n_runs);
    for (size_t slot = 0; slot < n; slot++)
        schedule[slot] = order[slot].index;
    *n_scheduled = n;
    free(order);
    return 0;
}

bool schedule_packing_enabled(void)
{
    const char *disabled = getenv("SWEEP_NO_PACK");
    return disabled == NULL || disabled[0] == '\0' || strcmp(disabled, "0") == 0;
}

int schedule_pack_width(const train_params *params, const dataset *data, simd_isa isa)
{
    const model_pack_ops *pack = model_get(params->model)->pack;
    if (pack == NULL || !schedule_packing_enabled() || !pack->worthwhile(params, data))
        return 1;
    int width = pack->width(isa);
    return width < 1 ? 1 : width < LANES_MAX ? width : LANES_MAX;
}

int schedule_packs(const train_params *runs, const dataset *data, simd_isa isa, size_t *schedule,
                   size_t n_scheduled, size_t *pack_end, sweep_error *err)
{
    bool *placed = calloc(n_scheduled > 0 ? n_scheduled : 1, sizeof *placed);
    size_t *packed = malloc((n_scheduled > 0 ? n_scheduled : 1) * sizeof *packed);
    if (placed == NULL || packed == NULL) {
        free(placed);
        free(packed);
        return error_set(err, ERROR_RUNTIME, "out of memory for the packs of %zu runs",
                         n_scheduled);
    }
    size_t n_packed = 0;
    for (size_t first = 0; first < n_scheduled; first++) {
        if (placed[first])
            continue;
        const train_params *lead = &runs[schedule[first]];
        const size_t width = (size_t)schedule_pack_width(lead, data, isa);
        const double cost = schedule_cost(lead, data);
        const size_t start = n_packed;
        packed[n_packed++] = schedule[first];
        /* packable runs cost the same, so they are among first's ties */
        for (size_t slot = first + 1; slot < n_scheduled && n_packed - start < width; slot++) {
            const train_params *run = &runs[schedule[slot]];
            if (schedule_cost(run, data) != cost)
                break;
            if (!placed[slot] && train_params_packable(lead, run)) {
                placed[slot] = true;
                packed[n_packed++] = schedule[slot];
            }
        }
        for (size_t slot = start; slot < n_packed; slot++)
            pack_end[slot] = n_packed;
    }
    memcpy(schedule, packed, n_scheduled * sizeof *schedule);
    free(placed);
    free(packed);
    return 0;
}

/* ---- shards: a min-heap of the shards by their cost so far ---------------- */

typedef struct {
    int *heap;    /* (n) shard numbers; heap[0] is the least loaded */
    double *load; /* (n) estimated cost given to each shard */
    int n;
} shard_heap;

static bool lighter(const shard_heap *shards, int a, int b)
{
    if (shards->load[a] != shards->load[b])
        return shards->load[a] < shards->load[b];
    return a < b;
}

/* Restore the heap after heap[0]'s load grew. */
static void sift_down(shard_heap *shards)
{
    int at = 0;
    for (;;) {
        int left = 2 * at + 1, right = left + 1, smallest = at;
        if (left < shards->n && lighter(shards, shards->heap[left], shards->heap[smallest]))
            smallest = left;
        if (right < shards->n && lighter(shards, shards->heap[right], shards->heap[smallest]))
            smallest = right;
        if (smallest == at)
            return;
        int swap = shards->heap[at];
        shards->heap[at] = shards->heap[smallest];
        shards->heap[smallest] = swap;
        at = smallest;
    }
}

int schedule_shard(const train_params *runs, size_t n_runs, const dataset *data, int shard_index,
                   int shard_count, size_t **members, size_t *n_members, sweep_error *err)
{
    int status = -1;
    costed_run *order = NULL;
    shard_heap shards = {NULL, NULL, shard_count};
    bool *chosen = NULL;
    *members = NULL;
    *n_members = 0;
    if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
        error_set(err, ERROR_INPUT, "--shard %d/%d: expected K/N with 0 <= K < N", shard_index,
                  shard_count);
        goto cleanup;
    }
    if ((size_t)shard_count > n_runs) {
        error_set(err, ERROR_INPUT,
                  "--shard %d/%d: the grid has only %zu run%s, so some shards "
                  "would be empty; use at most %zu shards",
                  shard_index, shard_count, n_runs, n_runs == 1 ? "" : "s", n_runs);
        goto cleanup;
    }
    size_t n_sorted = 0;
    order = sorted_runs(runs, n_runs, NULL, data, &n_sorted);
    shards.heap = malloc((size_t)shard_count * sizeof *shards.heap);
    shards.load = malloc((size_t)shard_count * sizeof *shards.load);
    chosen = calloc(n_runs, sizeof *chosen);
    if (order == NULL || shards.heap == NULL || shards.load == NULL || chosen == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for the shards of %zu runs", n_runs);
        goto cleanup;
    }
    /* All loads 0: shard numbers in order are a heap already. */
    for (int shard = 0; shard < shard_count; shard++) {
        shards.heap[shard] = shard;
        shards.load[shard] = 0.0;
    }
    size_t count = 0;
    for (size_t slot = 0; slot < n_sorted; slot++) {
        int lightest = shards.heap[0];
        shards.load[lightest] += order[slot].cost;
        sift_down(&shards);
        if (lightest == shard_index) {
            chosen[order[slot].index] = true;
            count++;
        }
    }
    *members = malloc((count > 0 ? count : 1) * sizeof **members);
    if (*members == NULL) {
        error_set(err, ERROR_RUNTIME, "out of memory for the shards of %zu runs", n_runs);
        goto cleanup;
    }
    for (size_t run = 0; run < n_runs; run++)
        if (chosen[run])
            (*members)[(*n_members)++] = run;
    status = 0;
cleanup:
    free(order);
    free(shards.heap);
    free(shards.load);
    free(chosen);
    return status;
}
