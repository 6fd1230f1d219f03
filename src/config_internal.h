/* config_internal.h: what the config*.c files share, private to them.
 *
 * The reader's state while it walks one document, and the functions one
 * pass of config.c's reading uses from another (see config.c for the
 * passes). Includes yaml.h: never include it outside src/config*.c.
 * Each function is described where it is defined; they keep the names
 * they had as statics of one config.c, so none of them is meant to be
 * called from another module.
 */
#ifndef SWEEP_CONFIG_INTERNAL_H
#define SWEEP_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "config.h"

/* What a node's explicit YAML tag makes it; TAG_NONE: untagged, read by its
 * style (a plain scalar may be a number, a quoted one is a string). */
typedef enum {
    TAG_NONE = 0,
    TAG_STR,       /* !!str, or the non-specific ! on a scalar: a string */
    TAG_INT,       /* !!int: an integer, quoted or not */
    TAG_FLOAT,     /* !!float: a number, quoted or not */
    TAG_BOOL,      /* !!bool */
    TAG_NULL,      /* !!null */
    TAG_COLLECTION /* !!seq or !!map on the matching node: nothing changes */
} yaml_tag;

/* What the dataset: mapping said, before defaults are filled in. */
typedef struct {
    const yaml_node_t *builtin_key; /* key nodes of the options that exclude each other */
    const yaml_node_t *path_key;
    const yaml_node_t *split_key;
    const yaml_node_t *fraction_key; /* the first of val_fraction, test_fraction, split_seed */
    char *builtin;                   /* a built-in set's name, or NULL (wdbc unless path) */
    char *path;                      /* as written, or NULL */
    char *target;                    /* or NULL for the default */
    char *split;                     /* or NULL */
    bool has_val_fraction, has_test_fraction, has_split_seed, has_standardize;
    double val_fraction;
    double test_fraction;
    uint32_t split_seed;
    bool standardize;
} dataset_choice;

/* What the cv: mapping said, before defaults are filled in. */
typedef struct {
    const yaml_node_t *node;        /* the cv: value, NULL without one */
    const yaml_node_t *shuffle_key; /* where shuffle: was written, or NULL */
    const yaml_node_t *repeats_key; /* where repeats: was written, or NULL */
    bool has_folds, has_shuffle;
    fold_settings settings;
} cv_choice;

/* Everything the reader needs while it walks the document. */
typedef struct {
    const char *path;             /* the config as given, for messages */
    const char *const *overrides; /* (n_overrides) "KEY=VALUE" */
    int n_overrides;
    size_t max_runs; /* resolved: never 0 */
    sweep_error *err;
    yaml_document_t document; /* the file's tree with the overrides grafted in */
    bool have_document;
    int n_file_nodes;          /* nodes 1..n_file_nodes come from the file */
    int *added_by;             /* (n_added) override index of node n_file_nodes + 1 + i */
    unsigned char *added_tags; /* (n_added) yaml_tag of node n_file_nodes + 1 + i */
    int n_added;
    int added_capacity;
    unsigned char *file_tags; /* (n_file_tags) yaml_tag of node 1 + i */
    int n_file_tags;
    const yaml_node_t *grid_value; /* the grid: value, for messages about its runs */
    const yaml_node_t *path_value; /* the dataset's path: value */
    dataset_choice dataset;
    cv_choice cv;
} reader;

/* One key of a mapping: what its value must be and who interprets it. */
typedef int (*value_handler)(reader *r, const yaml_node_t *key, const yaml_node_t *value,
                             void *target);

typedef struct {
    const char *key;
    yaml_node_type_t type; /* YAML_NO_NODE: the handler checks the type itself */
    const char *expected;  /* what `type` is, in words, for messages */
    value_handler handle;
} key_rule;

enum { MAX_RULES = 16 };

/* ---- config_node.c ---- */

int out_of_memory(reader *r);
int node_override(const reader *r, const yaml_node_t *node);
void describe_origin(const reader *r, const yaml_node_t *node, char *buf, size_t size);
__attribute__((format(printf, 4, 5))) int mark_error(reader *r, int override, yaml_mark_t mark,
                                                     const char *fmt, ...);
__attribute__((format(printf, 3, 4))) int node_error(reader *r, const yaml_node_t *node,
                                                     const char *fmt, ...);
int relay_error(reader *r, const yaml_node_t *node, const sweep_error *inner);
void clip_text(const char *text, size_t length, char *buf, size_t size);
const char *scalar_text(const yaml_node_t *node);
bool text_is_null(const char *text, size_t length);
bool is_null(const reader *r, const yaml_node_t *node);
int type_error(reader *r, const yaml_node_t *node, const char *name, const char *expected);
int value_error(reader *r, const yaml_node_t *node, const char *name, const char *problem);
void format_double(double value, char *buf, size_t size);
bool text_number(const char *text, size_t length, double *value);
bool text_is_integer(const char *text, size_t length);
bool text_bool(const char *text, bool *value);
bool scalar_bool(const reader *r, const yaml_node_t *node, bool *value);
bool is_whole(double value);
int read_number(reader *r, const yaml_node_t *node, const char *name, const char *expected,
                double *value);
int read_param(reader *r, const yaml_node_t *node, param_id id, double *value);
int read_string(reader *r, const yaml_node_t *node, const char *name, char **out);
int match_key(reader *r, const yaml_node_t *key, const char *const *names, int n_names,
              const char *context, const yaml_node_t **first_seen, int *which);
const char *const *param_names(void);
int walk_mapping(reader *r, const yaml_node_t *mapping, const key_rule *rules, int n_rules,
                 const char *context, void *target);

/* ---- config_grid.c ---- */

int handle_grid(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target);
int check_duplicate_runs(reader *r, const sweep_config *out);

/* ---- config_parse.c ---- */

int scan_text(reader *r, const char *text, size_t size, int override, unsigned char **tags,
              int *n_tags_out);
int load_text(reader *r, const char *text, size_t size, int override, yaml_document_t *document,
              bool *loaded);
int load_file_document(reader *r, const char *text, size_t size);

/* ---- config_override.c ---- */

int apply_override(reader *r, int override);

/* ---- config_emit.c ---- */

int build_effective(reader *r, sweep_config *out);
int join_overrides(reader *r, sweep_config *out);

/* ---- config_cv.c ---- */

int handle_cv(reader *r, const yaml_node_t *key, const yaml_node_t *value, void *target);
int finish_cv(reader *r, sweep_config *out);

/* ---- config.c ---- */

void top_level_keys(char *text, size_t size);

#endif
