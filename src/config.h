/* config.h: reading a sweep's YAML file.
 *
 * The only module that sees libyaml. It validates every key and value and
 * reports the first problem as "CONFIG:LINE:COL: what is wrong" (1-based, from
 * libyaml's marks). `--set KEY=VALUE` overrides are applied to the parsed
 * document before it is interpreted, so they are checked like the file.
 */
#ifndef SWEEP_CONFIG_H
#define SWEEP_CONFIG_H

#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "grid.h"
#include "params.h"

#define CONFIG_DEFAULT_MAX_RUNS 1000000

typedef struct {
    const char *const *overrides;  /* "model.epochs=50", "grid.batch_size=[16,32]" ... */
    int n_overrides;
    size_t max_runs;               /* refuse larger grids; 0 means CONFIG_DEFAULT_MAX_RUNS */
} config_options;

typedef struct {
    char *path;              /* the config file as given on the command line */
    char *text;              /* its whole text, stored in the results file */
    char *name;              /* `name:` or the file's stem */
    dataset_spec dataset;    /* its strings point into the fields below */
    char *dataset_name;      /* "wdbc" or the CSV path as written */
    char *dataset_path;      /* CSV path resolved against the config's folder, or NULL */
    char *dataset_target;    /* target column name */
    char *dataset_split;     /* split column name, or NULL */
    train_params model;      /* `model:` over the defaults */
    grid_spec *grids;        /* (n_grids) */
    int n_grids;             /* 0 when there is no `grid:` */
    char *output;            /* `output:` or "results/<name>.h5" */
    int threads;             /* `threads:`; 0 = all cores */
    char *overrides;         /* the --set arguments, one per line ("" without) */
    char *effective;         /* the configuration after --set, as YAML text */
    size_t n_runs;           /* number of runs the grids expand to (checked) */
} sweep_config;

/* Read, override, validate. On failure `out` is left empty (safe to free). */
int config_load(const char *path, const config_options *options, sweep_config *out,
                sweep_error *err);

/* The same from text in memory; `path` names it in messages and resolves
 * relative data paths. */
int config_load_text(const char *text, size_t size, const char *path,
                     const config_options *options, sweep_config *out, sweep_error *err);

void config_free(sweep_config *config);

#endif
