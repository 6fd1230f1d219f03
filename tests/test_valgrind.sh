#!/usr/bin/env bash
# tests/test_valgrind.sh: small real sweeps under valgrind memcheck.
#
# Every run must be free of memcheck errors (invalid reads and writes, use
# of uninitialised values, bad frees) and of definite leaks; either makes
# valgrind exit with 99 and the test fails. Each run must also end with the
# exit status the same command gives without valgrind. Covered: a grid on the
# built-in data set with two OpenMP threads, a CSV data set with the
# stratified split and test rows, --dry-run, and two refusals (a grid over
# --max-runs, a CSV with a NUL byte) so that the error paths free what they
# took too.
#
# Library-internal allocations (OpenMP thread stacks, HDF5's free lists) are
# "possibly lost" or "still reachable", not errors; tests/valgrind.supp, when
# present, holds suppressions for library code only, never sweep's own.
#
# Environment: SWEEP_BINARY (the program), SOURCE_DIR (the repository),
# both set by CTest. Exit 77 (CTest's skip) when valgrind is not installed:
# scripts/build --with-test-deps installs it.
set -euo pipefail

: "${SWEEP_BINARY:?SWEEP_BINARY must name the sweep program}"
: "${SOURCE_DIR:?SOURCE_DIR must name the repository}"

if ! command -v valgrind >/dev/null 2>&1; then
  echo "SKIPPED: valgrind is not installed (scripts/build --with-test-deps installs it)"
  exit 77
fi
# An ASan build cannot run under valgrind (both replace malloc).
symbols=$(nm -D "$SWEEP_BINARY" 2>/dev/null; nm "$SWEEP_BINARY" 2>/dev/null || true)
if [[ $symbols == *__asan_init* ]]; then
  echo "SKIPPED: $SWEEP_BINARY is built with AddressSanitizer; valgrind needs a plain build"
  exit 77
fi

work=$(mktemp -d /tmp/sweep_test_valgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT

valgrind_args=(--tool=memcheck --leak-check=full --errors-for-leak-kinds=definite
               --error-exitcode=99 --track-origins=yes --num-callers=30)
if [ -f "$SOURCE_DIR/tests/valgrind.supp" ]; then
  valgrind_args+=("--suppressions=$SOURCE_DIR/tests/valgrind.supp")
fi

n_failed=0
# check NAME EXPECTED_STATUS ARGS...: runs sweep ARGS under memcheck.
check() {
  local name=$1 expected=$2
  shift 2
  local log="$work/$name.valgrind.log" status=0
  local start=$SECONDS
  valgrind "${valgrind_args[@]}" --log-file="$log" "$SWEEP_BINARY" "$@" \
    >"$work/$name.stdout" 2>"$work/$name.stderr" || status=$?
  if [ "$status" -eq 99 ]; then
    echo "FAIL $name: memcheck found errors or definite leaks:"
    grep -E '^==[0-9]+== ' "$log" | sed -n '1,200p'
    n_failed=$((n_failed + 1))
  elif [ "$status" -ne "$expected" ]; then
    echo "FAIL $name: exit status $status, expected $expected; stderr:"
    cat "$work/$name.stderr"
    n_failed=$((n_failed + 1))
  else
    echo "ok   $name (exit $status, $((SECONDS - start)) s): $(grep -E 'ERROR SUMMARY' "$log" | sed 's/^==[0-9]*== //')"
  fi
}

# 2 batch sizes x 2 seeds, 3 epochs, 4 units: a few seconds under memcheck.
cat >"$work/builtin.yaml" <<'EOF'
name: valgrind_builtin
dataset: wdbc
model:
  epochs: 3
  units: 4
grid:
  batch_size: [32, 128]
  seed: [1, 2]
threads: 2
EOF

# The first 120 rows of the built-in set without its split column, so that
# the stratified split (with test rows) and standardization run.
head -n 121 "$SOURCE_DIR/data/wdbc.csv" | cut -d, -f1-31 >"$work/rows.csv"
cat >"$work/csv.yaml" <<'EOF'
name: valgrind_csv
dataset:
  path: rows.csv
  val_fraction: 0.25
  test_fraction: 0.2
  split_seed: 3
model:
  epochs: 2
  units: 3
grid:
  learning_rate: {logspace: [-2, -1, 2]}
threads: 1
EOF

printf 'f1,f2,target\n1,2,0\n3,\0004,1\n' >"$work/nul.csv"
cat >"$work/nul.yaml" <<'EOF'
dataset: {path: nul.csv}
EOF

check builtin_grid 0 "$work/builtin.yaml" -o "$work/builtin.h5" -q
check csv_stratified 0 "$work/csv.yaml" -o "$work/csv.h5" -q
check dry_run 0 "$work/builtin.yaml" --dry-run
check over_max_runs 2 "$work/builtin.yaml" --max-runs 3 -o "$work/refused.h5" -q
check csv_with_nul 2 "$work/nul.yaml" -o "$work/nul.h5" -q

for out in builtin csv; do
  if [ ! -s "$work/$out.h5" ]; then
    echo "FAIL: $out.h5 was not written"
    n_failed=$((n_failed + 1))
  fi
done

if [ "$n_failed" -gt 0 ]; then
  echo "$n_failed check(s) failed"
  exit 1
fi
echo "all runs clean under valgrind memcheck"
