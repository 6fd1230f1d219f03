/* config.h: reading a sweep's YAML file.
 *
 * The only module that sees libyaml (its files, src/config*.c, share the
 * private config_internal.h). It validates every key and value and
 * reports the first problem as "CONFIG:LINE:COL: what is wrong" (1-based, from
 * libyaml's marks). `--set KEY=VALUE` overrides are applied to the parsed
 * document before it is interpreted, so they are checked like the file.
 *
 * Decisions a user can see:
 * - A problem in a value that came from --set is reported without a file
 *   position, as "--set model.epochs=abc: epochs must be a whole number, got
 *   'abc'". KEY is names joined by dots; VALUE is YAML (flow) text. Missing
 *   keys and mappings are created; a scalar on the path (dataset: wdbc, an
 *   empty model:) is replaced by a mapping; a list cannot be walked into
 *   (grid.KEY on a list of grids is an error: replace it with grid=[...]).
 * - Numbers follow the YAML 1.2 core schema: 1, -1, .5, 1e-3, 0x10, 0o17;
 *   .inf and .nan parse but are refused as not finite. A quoted scalar is a
 *   string, never a number. Whole-number settings accept any number that is
 *   exactly whole (32.0, 1e3). Booleans are true/false (True, TRUE).
 *   A number too large for a double is refused with the setting's bound.
 * - Explicit tags are respected: !!str (or !) makes a string, so `!!str 10`
 *   is refused where a number is needed, like "10"; !!int and !!float make a
 *   number even of a quoted scalar (their text is checked); !!bool, !!null,
 *   !!seq and !!map are known; any other tag is refused.
 * - YAML aliases (*name) are refused; so are a second document and nesting
 *   deeper than 64 levels.
 * - name: is a plain file name (no '/', not "." or "..", no control
 *   characters): it names results/<name>.h5.
 * - A grid that gives the same run twice is refused, naming both places
 *   (two list items, a generator, or two grids of a list).
 * - Unknown keys are refused; the message suggests the closest valid key
 *   (optimal string alignment distance <= 3 and <= a third of its length)
 *   or lists the valid ones.
 * - dataset: is a built-in set's name (DATASET_BUILTIN_NAMES) or a mapping
 *   of builtin (such a name; exclusive with path), path, target, split,
 *   val_fraction, test_fraction, split_seed, standardize. Without path it is
 *   a built-in set (wdbc by default). split excludes the fractions and
 *   split_seed; without split and with path (or with any fraction) the rows
 *   are split stratified, defaults 0.2 / 0.0 / 42 for a CSV file and the
 *   set's own for a built-in one (dataset_spec_builtin). A relative path,
 *   also one given by --set, is relative to the config's folder.
 *   dataset_origin keeps where path: was written, so that a data file that
 *   cannot be opened is reported at that position.
 * - cv: is an optional mapping of folds (required), shuffle, seed and
 *   repeats, with scikit-learn's defaults (shuffle false, seed 0, repeats
 *   1). repeats > 1 is RepeatedStratifiedKFold, which always shuffles:
 *   without a shuffle key it implies shuffle: true, with shuffle: false it
 *   is refused. A seed without shuffle is accepted and ignored, as
 *   scikit-learn ignores random_state then. cv is sweep-wide, never a grid
 *   key. Bounds come from settings.h. Every grid point becomes repeats x
 *   folds runs; max_runs limits that product.
 * - grid: {} (or no grid:) is one run of the model. In a list of grids, {}
 *   adds one run of the model.
 * - effective: name, dataset (always a mapping with every option), model
 *   with all keys in param_id order, grid as a list of mappings with explicit
 *   value lists (grid: {} without one), cv with all its keys (only when
 *   set, so that configs without it keep their text), output, threads. Strings are double
 *   quoted; floats are the shortest text that reads back as the same double
 *   and always have a '.' (PyYAML reads them as floats). Loading it again
 *   gives the same runs and the same effective text.
 */
#ifndef SWEEP_CONFIG_H
#define SWEEP_CONFIG_H

#include <stddef.h>

#include "dataset.h"
#include "error.h"
#include "folds.h"
#include "grid.h"
#include "params.h"
#include "settings.h"

typedef struct {
    const char *const *overrides; /* "model.epochs=50", "grid.batch_size=[16,32]" ... */
    int n_overrides;
    size_t max_runs; /* refuse larger grids (and any range or linspace
                                      with more values); 0 means CONFIG_DEFAULT_MAX_RUNS */
} config_options;

typedef struct {
    char *path;           /* the config file as given on the command line */
    char *text;           /* its whole text, stored in the results file */
    char *name;           /* `name:` or the file's stem */
    dataset_spec dataset; /* its strings point into the fields below */
    char *dataset_name;   /* "wdbc" or the CSV path as written */
    char *dataset_path;   /* CSV path resolved against the config's folder, or NULL */
    char *dataset_target; /* target column name */
    char *dataset_split;  /* split column name, or NULL */
    char *dataset_origin; /* where path: was written, "CONFIG:LINE:COL" or
                                "--set dataset.path=...", or NULL without a path */
    train_params model;   /* `model:` over the defaults */
    grid_spec *grids;     /* (n_grids) */
    int n_grids;          /* 0 when there is no `grid:` */
    char *output;         /* `output:` or "results/<name>.h5" */
    int threads;          /* `threads:`; 0 = all cores */
    char *overrides;      /* the --set arguments, one per line ("" without) */
    char *effective;      /* the configuration after --set, as YAML text */
    size_t n_runs;        /* number of runs the grids expand to (checked); under
                                cross-validation each is trained repeats x folds times */
    fold_settings cv;     /* `cv:`; n_splits 0 without cross-validation */
} sweep_config;

/* Read, override, validate. On failure `out` is left empty (safe to free).
 * Bad input (a missing file, "path: cannot open: No such file or directory",
 * or anything wrong in the config or an override) is ERROR_INPUT; out of
 * memory is ERROR_RUNTIME. `options` may be NULL. */
int config_load(const char *path, const config_options *options, sweep_config *out,
                sweep_error *err);

/* The same from text in memory; `path` names it in messages and resolves
 * relative data paths. */
int config_load_text(const char *text, size_t size, const char *path, const config_options *options,
                     sweep_config *out, sweep_error *err);

void config_free(sweep_config *config);

#endif
