/* main.c: the `sweep` command line. The only place that exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "config.h"
#include "error.h"
#include "merge.h"
#include "settings.h"
#include "sweep.h"

enum {
    EXIT_OK = 0,          /* every run done */
    EXIT_FAILURE_RUN = 1, /* runtime error (I/O, memory, HDF5, another writer) */
    EXIT_USAGE = 2,       /* bad command line, config or data file; nothing written */
    EXIT_RUNS_FAILED = 3, /* the sweep finished, but some runs' loss became NaN or inf */
    EXIT_INCOMPLETE = 4   /* merge: OUT written, but some runs were in no part (pending) */
};

/* The first SIGINT, SIGTERM or SIGHUP asks the sweep to stop (runs in
 * flight are finished and stored, the file closed); a second one ends the
 * process at once, which the results file survives (see results.h). SIGHUP
 * is what a closed terminal or ssh session sends: the user is gone, but the
 * finished runs must not be. */
static volatile sig_atomic_t interrupt_signal = 0;

/* What a second signal prints, made before the handlers are installed: the
 * handler may only write(2) it. Empty: say nothing (another MPI rank). */
static char stop_message[1024];
static size_t stop_message_length = 0;

static void on_interrupt(int signal_number)
{
    if (interrupt_signal != 0) {
        if (stop_message_length > 0) {
            ssize_t ignored = write(STDERR_FILENO, stop_message, stop_message_length);
            (void)ignored;
        }
        _exit(128 + signal_number);
    }
    if (signal_number == SIGHUP) {
        /* Whoever read our stderr (a terminal, `| tee`) is likely gone with
         * the session: writing to it must not kill us before the runs in
         * flight are stored. sigaction is async-signal-safe. */
        struct sigaction ignore;
        memset(&ignore, 0, sizeof ignore);
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        sigaction(SIGPIPE, &ignore, NULL);
    }
    interrupt_signal = signal_number;
}

/* `output` NULL: the second signal ends the process silently. */
static void install_signal_handlers(const char *output)
{
    if (output != NULL) {
        int length = snprintf(stop_message, sizeof stop_message,
                              "sweep: second signal: stopped at once; the runs in flight are "
                              "lost, every stored run is kept in %s; continue with the same "
                              "command and --resume\n",
                              output);
        if (length >= (int)sizeof stop_message) { /* a very long path: keep the advice */
            length = snprintf(stop_message, sizeof stop_message,
                              "sweep: second signal: stopped at once; the runs in flight are "
                              "lost, every stored run is kept; continue with the same command "
                              "and --resume\n");
        }
        stop_message_length = length > 0 ? (size_t)length : 0;
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
}

static const char *signal_name(int signal_number)
{
    switch (signal_number) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a signal";
    }
}

/* Descriptors 0, 1 and 2 open on /dev/null when they were closed at start
 * (some launchers and daemons do that): otherwise the next file opened
 * (the lock file, the results file) would get the number, and messages
 * meant for stderr would be written into it. */
static int reserve_standard_descriptors(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        /* The lowest free number, which is fd: the ones below are open. */
        int opened = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
        if (opened != fd) {
            if (opened >= 0)
                close(opened);
            return -1;
        }
    }
    return 0;
}

static const char USAGE[] =
    "usage: sweep CONFIG [-o OUT] [-j N] [--set KEY=VALUE ...] [--dry-run] [--overwrite]\n"
    "             [--resume [--retry-failed]] [--shard K/N] [--max-runs N] [-q]\n"
    "       sweep merge OUT PART... [--overwrite] [-q]\n"
    "       sweep --version | --help\n";

#define TEXT_OF_(x) #x
#define TEXT_OF(x) TEXT_OF_(x)

static const char HELP[] =
    "Train one textbook network (Do it! ch. 6-3) per point of a hyperparameter grid\n"
    "and write every run's loss curves and scores into one HDF5 file.\n"
    "\n"
    "  CONFIG              YAML file describing the data set, model and grid\n"
    "  -o, --output OUT    results file (default: the config's output:, or results/<name>.h5)\n"
    "  -j, --jobs N        worker threads (default: the config's threads:; 0 = all cores)\n"
    "  --set KEY=VALUE     override a config value, e.g. --set model.epochs=50\n"
    "                      or --set grid.batch_size=[16,32] (YAML flow syntax); repeatable\n"
    "  --dry-run           print the expanded runs and their count; train nothing\n"
    "  --overwrite         replace an existing results file\n"
    "  --resume            continue an interrupted sweep into its results file: done runs\n"
    "                      are kept, the rest trained; a config that adds runs grows it\n"
    "  --retry-failed      with --resume, train failed runs again\n"
    "  --shard K/N         train only shard K (0-based) of N disjoint shards of the grid,\n"
    "                      balanced by estimated cost, into a file of its own\n"
    "  --max-runs N        refuse grids of more than N runs (default " TEXT_OF(
        CONFIG_DEFAULT_MAX_RUNS) ")\n"
                                 "  -q, --quiet         no progress on stderr\n"
                                 "  --version           print the version\n"
                                 "  -h, --help          print this help\n"
                                 "\n"
                                 "sweep merge OUT PART... writes OUT, the file of the whole grid, from the files of\n"
                                 "its shards (or of any sweeps of the same config and data); it refuses parts of\n"
                                 "other sweeps and runs finished in two parts; runs in no part stay pending in OUT\n"
                                 "for --resume.\n"
                                 "\n"
                                 "MPI: mpirun -np R sweep CONFIG ... runs one sweep on R processes: rank 0 writes\n"
                                 "the file and hands out runs, every rank trains with its own -j threads.\n"
                                 "\n"
                                 "Exit status: 0 every run done; 1 runtime error; 2 usage, config or data error;\n"
                                 "3 finished but some runs failed (NaN or infinite loss); 4 merge: some runs are\n"
                                 "missing (pending in OUT); 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP\n"
                                 "(resume with --resume).\n";

typedef struct {
    const char *config_path;
    const char **overrides; /* (n_overrides) pointers into argv */
    int n_overrides;
    size_t max_runs;
    sweep_options sweep;
} command_line;

/* A whole number in [min, max] from an option's argument. */
static int parse_count(const char *option, const char *text, long long min, long long max,
                       long long *value, sweep_error *err)
{
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || parsed < min || parsed > max)
        return error_set(err, ERROR_INPUT, "%s: expected a whole number in %lld..%lld, got '%s'",
                         option, min, max, text);
    *value = parsed;
    return 0;
}

/* "K/N": shard K (0-based) of N. */
static int parse_shard(const char *text, int *index, int *count, sweep_error *err)
{
    char *slash = NULL, *end = NULL;
    errno = 0;
    long k = strtol(text, &slash, 10);
    long n = -1;
    if (errno == 0 && slash != text && *slash == '/' && slash[1] >= '0' && slash[1] <= '9')
        n = strtol(slash + 1, &end, 10);
    const setting_info *shards = &SETTING_INFO[SETTING_SHARDS];
    if (errno != 0 || n < shards->min || n > shards->max || end == NULL || *end != '\0' || k < 0 ||
        k >= n)
        return error_set(err, ERROR_INPUT,
                         "%s: expected K/N with 0 <= K < N <= %lld (shard K of N, counting from "
                         "0), got '%s'",
                         shards->option, shards->max, text);
    *index = (int)k;
    *count = (int)n;
    return 0;
}

/* The value of an option given as "--opt VALUE", "--opt=VALUE" or "-oVALUE". */
static int option_value(int argc, char **argv, int *index, const char *long_name,
                        const char *short_name, const char **value, bool *matched, sweep_error *err)
{
    const char *arg = argv[*index];
    size_t long_length = strlen(long_name);
    *matched = false;
    if (strcmp(arg, long_name) == 0 || (short_name != NULL && strcmp(arg, short_name) == 0)) {
        *matched = true;
        if (*index + 1 >= argc)
            return error_set(err, ERROR_INPUT, "%s needs a value", arg);
        *value = argv[++*index];
        return 0;
    }
    if (strncmp(arg, long_name, long_length) == 0 && arg[long_length] == '=') {
        *matched = true;
        *value = arg + long_length + 1;
        return 0;
    }
    if (short_name != NULL && strncmp(arg, short_name, 2) == 0 && arg[2] != '\0') {
        *matched = true;
        *value = arg + 2;
    }
    return 0;
}

static int set_output(const char *value, command_line *cmd, sweep_error *err)
{
    if (value[0] == '\0')
        return error_set(err, ERROR_INPUT, "-o: the output path is empty");
    cmd->sweep.output = value;
    return 0;
}

/* -j obeys the bound of `threads:`, said in the same words (settings.h). */
static int set_jobs(const char *value, command_line *cmd, sweep_error *err)
{
    const setting_info *info = &SETTING_INFO[SETTING_THREADS];
    long long threads = 0;
    if (parse_count(info->option, value, info->min, info->max, &threads, NULL) != 0) {
        char rule[160];
        settings_rule(SETTING_THREADS, rule, sizeof rule);
        return error_set(err, ERROR_INPUT, "%s: %s %s, got '%s'", info->option, info->name, rule,
                         value);
    }
    cmd->sweep.threads = (int)threads;
    return 0;
}

static int add_override(const char *value, command_line *cmd, sweep_error *err)
{
    if (strchr(value, '=') == NULL)
        return error_set(err, ERROR_INPUT, "--set %s: expected KEY=VALUE", value);
    cmd->overrides[cmd->n_overrides++] = value;
    return 0;
}

static int set_shard(const char *value, command_line *cmd, sweep_error *err)
{
    return parse_shard(value, &cmd->sweep.shard_index, &cmd->sweep.shard_count, err);
}

static int set_max_runs(const char *value, command_line *cmd, sweep_error *err)
{
    const setting_info *info = &SETTING_INFO[SETTING_MAX_RUNS];
    long long max_runs = 0;
    if (parse_count(info->option, value, info->min, info->max, &max_runs, err) != 0)
        return -1;
    cmd->max_runs = (size_t)max_runs;
    return 0;
}

/* The options that take a value, in the order they are tried. */
static const struct {
    const char *long_name;
    const char *short_name; /* or NULL */
    int (*apply)(const char *value, command_line *cmd, sweep_error *err);
} VALUED_OPTIONS[] = {
    {"--output", "-o", set_output},     {"--jobs", "-j", set_jobs},
    {"--set", NULL, add_override},      {"--shard", NULL, set_shard},
    {"--max-runs", NULL, set_max_runs},
};

/* 1: argv[*index] was an option with a value (its value consumed and
 * applied), 0: it is none of them, -1: error. */
static int parse_valued_option(int argc, char **argv, int *index, command_line *cmd,
                               sweep_error *err)
{
    for (size_t k = 0; k < sizeof VALUED_OPTIONS / sizeof VALUED_OPTIONS[0]; k++) {
        const char *value = NULL;
        bool matched = false;
        if (option_value(argc, argv, index, VALUED_OPTIONS[k].long_name,
                         VALUED_OPTIONS[k].short_name, &value, &matched, err) != 0)
            return -1;
        if (matched)
            return VALUED_OPTIONS[k].apply(value, cmd, err) != 0 ? -1 : 1;
    }
    return 0;
}

/* The options without a value; false when `arg` is none of them. */
static bool parse_flag(const char *arg, command_line *cmd)
{
    bool *flag = strcmp(arg, "--dry-run") == 0                           ? &cmd->sweep.dry_run
                 : strcmp(arg, "--overwrite") == 0                       ? &cmd->sweep.overwrite
                 : strcmp(arg, "--resume") == 0                          ? &cmd->sweep.resume
                 : strcmp(arg, "--retry-failed") == 0                    ? &cmd->sweep.retry_failed
                 : strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0 ? &cmd->sweep.quiet
                                                                         : NULL;
    if (flag != NULL)
        *flag = true;
    return flag != NULL;
}

/* --help or --version: printed, and the program stops with status 0. */
static bool print_help_or_version(const char *arg)
{
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        fputs(USAGE, stdout);
        fputs(HELP, stdout);
        printf("This build %s.\n", cluster_has_mpi()
                                       ? "has MPI"
                                       : "has no MPI (rebuild "
                                         "with libopenmpi-dev installed to run under mpirun)");
        return true;
    }
    if (strcmp(arg, "--version") == 0) {
        printf("sweep %s\n", SWEEP_VERSION);
        return true;
    }
    return false;
}

/* Returns 1 when the program should stop with status 0 (--help, --version). */
static int parse_command_line(int argc, char **argv, command_line *cmd, sweep_error *err)
{
    cmd->overrides = calloc((size_t)argc, sizeof *cmd->overrides);
    if (cmd->overrides == NULL)
        return error_set(err, ERROR_RUNTIME, "out of memory");
    cmd->sweep.threads = -1;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (cmd->config_path != NULL)
                return error_set(err, ERROR_INPUT, "unexpected argument '%s' (one CONFIG only)",
                                 arg);
            cmd->config_path = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (print_help_or_version(arg))
            return 1;
        if (parse_flag(arg, cmd))
            continue;
        int valued = parse_valued_option(argc, argv, &i, cmd, err);
        if (valued < 0)
            return -1;
        if (valued == 0)
            return error_set(err, ERROR_INPUT, "unknown option '%s' (see sweep --help)", arg);
    }
    if (cmd->config_path == NULL)
        return error_set(err, ERROR_INPUT,
                         "no CONFIG given (usage: sweep CONFIG [options]; see sweep --help)");
    if (cmd->sweep.resume && cmd->sweep.overwrite)
        return error_set(err, ERROR_INPUT, "--resume and --overwrite exclude each other");
    if (cmd->sweep.retry_failed && !cmd->sweep.resume)
        return error_set(err, ERROR_INPUT, "--retry-failed goes with --resume");
    return 0;
}

/* `sweep CONFIG ...`: rank 0's part (or a process alone). */
static int sweep_command(int argc, char **argv, cluster *job)
{
    int status = EXIT_FAILURE_RUN;
    command_line cmd = {0};
    sweep_config config = {0};
    sweep_error err = {0};
    sweep_outcome outcome = {0};

    int parsed = parse_command_line(argc, argv, &cmd, &err);
    if (parsed == 1) {
        status = EXIT_OK;
        goto cleanup;
    }
    if (parsed != 0) {
        fprintf(stderr, "sweep: %s\n", err.message);
        goto fail;
    }
    config_options options = {
        .overrides = cmd.overrides,
        .n_overrides = cmd.n_overrides,
        .max_runs = cmd.max_runs,
    };
    if (config_load(cmd.config_path, &options, &config, &err) != 0) {
        fprintf(stderr, "sweep: %s\n", err.message);
        goto fail;
    }
    const char *output = cmd.sweep.output != NULL ? cmd.sweep.output : config.output;
    install_signal_handlers(output);
    cmd.sweep.interrupt = &interrupt_signal;
    cmd.sweep.job = job;
    if (sweep_execute(&config, &cmd.sweep, stdout, &outcome, &err) != 0) {
        fprintf(stderr, "sweep: %s\n", err.message);
        goto fail;
    }
    if (outcome.interrupted != 0) {
        /* Always said, even with -q: the user must know how to go on. */
        fprintf(stderr,
                "sweep: interrupted by %s: %zu of %zu runs done, %zu failed, %zu pending in %s; "
                "continue with the same command and --resume\n",
                signal_name(outcome.interrupted), outcome.n_done, outcome.n_runs, outcome.n_failed,
                outcome.n_pending, output);
        status = 128 + outcome.interrupted;
        goto cleanup;
    }
    /* The output path came from an argument or the config: shown printable. */
    char shown_output[sizeof err.message];
    error_printable(output, shown_output, sizeof shown_output);
    if (!cmd.sweep.dry_run && !cmd.sweep.quiet)
        fprintf(stderr, "sweep: %zu runs (%zu done, %zu failed) in %.2f s -> %s\n", outcome.n_runs,
                outcome.n_done, outcome.n_failed, outcome.seconds, shown_output);
    if (outcome.n_failed > 0 && !cmd.sweep.dry_run) {
        fprintf(stderr, "sweep: %zu of %zu runs failed (see their `failure` in %s)\n",
                outcome.n_failed, outcome.n_runs, shown_output);
        status = EXIT_RUNS_FAILED;
    } else {
        status = EXIT_OK;
    }
    goto cleanup;
fail:
    status = err.kind == ERROR_INPUT ? EXIT_USAGE : EXIT_FAILURE_RUN;
cleanup:
    config_free(&config);
    free(cmd.overrides);
    return status;
}

static const char MERGE_USAGE[] = "usage: sweep merge OUT PART... [--overwrite] [-q]\n";

static const char MERGE_HELP[] =
    "Write OUT, the results file of a whole grid, from the files of its shards (or of\n"
    "any sweeps of the same config and data). Parts of other sweeps and runs finished\n"
    "in two parts are refused; runs in no part stay pending in OUT for --resume.\n"
    "\n"
    "  OUT                 the merged results file (refused if it exists, see --overwrite)\n"
    "  PART...             results files of `sweep --shard K/N` or of other sweeps\n"
    "  --overwrite         replace an existing OUT\n"
    "  -q, --quiet         no summary line on stderr\n"
    "  -h, --help          print this help\n"
    "\n"
    "Exit status: 0 every run done; 1 runtime error; 2 usage or bad part; 3 some runs\n"
    "failed; 4 some runs are in no part (pending in OUT).\n";

/* `sweep merge OUT PART... [--overwrite] [-q]`. */
static int merge_command(int argc, char **argv)
{
    merge_options options = {0};
    bool quiet = false, options_done = false;
    sweep_error err = {0};
    const char **parts = calloc((size_t)argc, sizeof *parts);
    if (parts == NULL) {
        fprintf(stderr, "sweep: out of memory\n");
        return EXIT_FAILURE_RUN;
    }
    int n_parts = 0, status = EXIT_USAGE;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (!options_done && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
            fputs(MERGE_USAGE, stdout);
            fputs(MERGE_HELP, stdout);
            status = EXIT_OK;
            goto cleanup;
        } else if (!options_done && strcmp(arg, "--overwrite") == 0) {
            options.overwrite = true;
        } else if (!options_done && (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0)) {
            quiet = true;
        } else if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            error_set(&err, ERROR_INPUT,
                      "unknown option '%s' (usage: sweep merge OUT PART... "
                      "[--overwrite] [-q]; see sweep merge --help)",
                      arg);
            fprintf(stderr, "sweep: merge: %s\n", err.message);
            goto cleanup;
        } else if (options.output == NULL) {
            options.output = arg;
        } else {
            parts[n_parts++] = arg;
        }
    }
    if (options.output == NULL || n_parts == 0) {
        fprintf(stderr, "sweep: merge: expected OUT and at least one PART (usage: sweep merge "
                        "OUT PART... [--overwrite] [-q])\n");
        goto cleanup;
    }
    options.parts = parts;
    options.n_parts = n_parts;
    merge_outcome outcome;
    if (merge_parts(&options, stderr, &outcome, &err) != 0) {
        fprintf(stderr, "sweep: merge: %s\n", err.message);
        status = err.kind == ERROR_INPUT ? EXIT_USAGE : EXIT_FAILURE_RUN;
        goto cleanup;
    }
    char shown_output[sizeof err.message];
    error_printable(options.output, shown_output, sizeof shown_output);
    if (!quiet)
        fprintf(stderr,
                "sweep merge: %zu runs (%zu done, %zu failed, %zu missing) from %d "
                "part%s -> %s\n",
                outcome.n_runs, outcome.n_done, outcome.n_failed, outcome.n_missing, n_parts,
                n_parts == 1 ? "" : "s", shown_output);
    status = outcome.n_missing > 0  ? EXIT_INCOMPLETE
             : outcome.n_failed > 0 ? EXIT_RUNS_FAILED
                                    : EXIT_OK;
cleanup:
    free(parts);
    return status;
}

/* The summary, the dry-run table or --help went to stdout through a buffer:
 * a full disk or a closed pipe shows only now. A lost summary is an error
 * (the results file itself is complete and closed by then). */
static int finish_stdout(int status)
{
    errno = 0;
    bool failed = fflush(stdout) != 0 || ferror(stdout);
    int error = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = true;
        error = errno;
    }
    if (!failed)
        return status;
    fprintf(stderr, "sweep: cannot write to standard output: %s\n",
            error != 0 ? strerror(error) : "write error");
    return status == EXIT_OK ? EXIT_FAILURE_RUN : status;
}

int main(int argc, char **argv)
{
    if (reserve_standard_descriptors() != 0)
        return EXIT_FAILURE_RUN; /* no /dev/null: nowhere to say it either */
    cluster *job = NULL;
    sweep_error err = {0};
    if (cluster_start(&argc, &argv, &job, &err) != 0) {
        /* Every rank failed alike: one of them says it. */
        if (cluster_launcher_rank() == 0)
            fprintf(stderr, "sweep: %s\n", err.message);
        return err.kind == ERROR_INPUT ? EXIT_USAGE : EXIT_FAILURE_RUN;
    }
    int status;
    if (cluster_rank(job) != 0) {
        /* Another rank of an MPI job: it trains what rank 0 hands out and
         * exits with rank 0's status; rank 0 reports everything. */
        install_signal_handlers(NULL);
        if (sweep_serve(job, &interrupt_signal, &status, &err) != 0) {
            fprintf(stderr, "sweep: rank %d (%s): %s\n", cluster_rank(job), cluster_host(job),
                    err.message);
            status = EXIT_FAILURE_RUN;
        }
    } else {
        if (argc > 1 && strcmp(argv[1], "merge") == 0)
            status = merge_command(argc, argv);
        else
            status = sweep_command(argc, argv, job);
        if (sweep_conclude(job, status, &err) != 0) {
            fprintf(stderr, "sweep: %s\n", err.message);
            if (status == EXIT_OK)
                status = EXIT_FAILURE_RUN;
        }
    }
    status = finish_stdout(status);
    cluster_end(job, status);
    return status;
}
