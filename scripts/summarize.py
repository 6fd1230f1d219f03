#!/usr/bin/python3
"""summarize.py: the table of a sweep's grid points, best first.

For each grid point (runs equal in every swept hyperparameter but the seed,
or grouped by the --by keys) the mean ± sample std (ddof 1) over its finished
runs of val and test accuracy and of the final train and val loss, sorted by
mean val accuracy (then lowest final val loss). Failed and pending runs are
counted, not averaged. Printed as text, or written as CSV with full precision.

    scripts/summarize.py results/batch_grid.h5
    scripts/summarize.py results/batch_grid.h5 --by batch_size --csv table.csv
"""

import sys

import sweep_results as sr

PROG = "summarize.py"
# (column in the runs table, heading in the text table, decimals)
MEASURES = (("val_score", "val_acc", 4), ("test_score", "test_acc", 4),
            ("final_train_loss", "train_loss", 5), ("final_val_loss", "val_loss", 5))


def parse_arguments(argv):
    parser = sr.OneLineParser(
        prog=PROG, description="Mean ± std over seeds of each grid point of a sweep "
        "results file, best val accuracy first.")
    parser.add_argument("results", metavar="RESULTS.h5", help="results file written by sweep")
    parser.add_argument("--by", metavar="KEY", nargs="+", action="extend", default=[],
                        help="group by these hyperparameters (default: every swept one but "
                        "the seed); one of " + ", ".join(sr.HYPERPARAMETERS))
    parser.add_argument("--csv", metavar="OUT",
                        help="also write the table as CSV to OUT ('-': CSV on stdout instead "
                        "of the text table)")
    return parser.parse_args(argv)


def summary_table(sweep, keys):
    """The grid points with their statistics, best first."""
    table = sr.aggregate(sweep.runs, keys, [column for column, _, _ in MEASURES])
    return table.sort_values(["val_score_mean", "final_val_loss_mean"],
                             ascending=[False, True], na_position="last", kind="mergesort")


def text_table(sweep, table, keys):
    total, done, failed, pending = sweep.counts()
    runs = "run" if total == 1 else "runs"
    lines = [f"{sweep.path}: {total} {runs} ({done} done, {failed} failed, {pending} pending); "
             "mean ± std (ddof 1) over seeds, best val accuracy first"]
    measures = [m for m in MEASURES
                if not (m[0] == "test_score" and table["test_score_mean"].isna().all())]
    header = list(keys) + ["runs"] + [heading for _, heading, _ in measures]
    rows = []
    for _, point in table.iterrows():
        runs = f"{int(point['done'])}/{int(point['runs'])}"
        rows.append([sr.format_value(key, point[key]) for key in keys] + [runs] +
                    [sr.format_mean_std(point[f"{column}_mean"], point[f"{column}_std"], decimals)
                     for column, _, decimals in measures])
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]
    lines.append("  ".join(cell.rjust(width) for cell, width in zip(header, widths)))
    lines.extend("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows)
    if failed or pending:
        lines.append(f"runs: finished/all; {sweep.left_out_phrase()} of the averages")
    return "\n".join(lines)


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    sr.check_keys(arguments.by, "--by")
    sweep = sr.open_results(arguments.results)
    keys = sr.grid_keys(sweep, arguments.by)
    table = summary_table(sweep, keys)
    if arguments.csv == "-":
        table.to_csv(sys.stdout, index=False)
        return 0
    if arguments.csv:
        table.to_csv(arguments.csv, index=False)
    print(text_table(sweep, table, keys))
    if arguments.csv:
        print(f"wrote {arguments.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(sr.run_main(PROG, main))
