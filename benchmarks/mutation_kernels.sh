#!/usr/bin/env bash
# Mutation testing of the dispatch kernels (idrt/dispatch/_kernels.py) with cosmic-ray.
# Slow (about 10 s a mutant on 2 busy cores, ~450 mutants: over an hour): not part of CI.
#
#   bash benchmarks/mutation_kernels.sh
#   FUNCTIONS="best_insertion_vehicle _suffix_delay" bash benchmarks/mutation_kernels.sh
#   TESTS="tests/dispatch/test_kernels_mutants.py" bash benchmarks/mutation_kernels.sh
#   bash benchmarks/mutation_kernels.sh recheck   # the run file's survivors against TESTS now
#   SESSION=/tmp/kernels.sqlite BUDGET_S=1800 bash benchmarks/mutation_kernels.sh
#       # keeps cosmic-ray's session there; run again to go on with the mutants not run yet
#
# Why cosmic-ray and not mutmut: mutmut 3 wraps every function in a trampoline that
# Numba cannot compile, and with NUMBA_DISABLE_JIT=1 it maps no test to a decorated
# function ("could not find any test case"). cosmic-ray rewrites the module file
# itself, one mutant at a time, and runs an arbitrary test command; here the tests
# run with NUMBA_DISABLE_JIT=1, so each mutant runs as plain Python (no compile).
#
# The run works on a copy of the tree in a temporary folder. Mutants are limited
# to the functions in FUNCTIONS (default: the feasibility and insertion-cost
# functions and the row layout of an insertion) and to the operators listed below
# (value-changing ones; bit operators, shifts, powers, `is` comparisons and
# RemoveDecorator, a no-op under NUMBA_DISABLE_JIT, are left out).
# Writes benchmarks/results/mutation_run_kernels.txt: the counts, then the diff of
# every mutant not killed. `recheck` applies each of those diffs (patch) to a fresh
# copy and runs TESTS again (after new tests were written), writing
# benchmarks/results/mutation_recheck_kernels.txt. The triage of the survivors (killed by which test,
# equivalent and why) is kept in benchmarks/results/mutation_survivors_kernels.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m pip install -q "cosmic-ray>=8.4"
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")  # not realpath: keep the venv
root=$PWD
FUNCTIONS=${FUNCTIONS:-"service_start vehicle_times vehicle_loads feasible_vehicles _suffix_delay best_insertion_vehicle prepare_plan scan_insertions spread_row finish_insertion"}
TESTS=${TESTS:-"tests/dispatch/test_insertion_boundaries.py tests/dispatch/test_kernels_mutants.py tests/dispatch/test_insertion.py tests/dispatch/test_darp_rules.py"}
OPERATORS="NumberReplacer
ReplaceBinaryOperator_Add_Sub ReplaceBinaryOperator_Sub_Add
ReplaceBinaryOperator_Mul_Div ReplaceBinaryOperator_Div_Mul ReplaceBinaryOperator_FloorDiv_Div
ReplaceComparisonOperator_Lt_LtE ReplaceComparisonOperator_Lt_GtE
ReplaceComparisonOperator_LtE_Lt ReplaceComparisonOperator_LtE_Gt
ReplaceComparisonOperator_Gt_GtE ReplaceComparisonOperator_Gt_LtE
ReplaceComparisonOperator_GtE_Gt ReplaceComparisonOperator_GtE_Lt
ReplaceComparisonOperator_Eq_NotEq ReplaceComparisonOperator_NotEq_Eq
ReplaceUnaryOperator_Delete_Not ReplaceUnaryOperator_Delete_USub AddNot
ReplaceFalseWithTrue ReplaceTrueWithFalse ReplaceAndWithOr ReplaceOrWithAnd
ReplaceBreakWithContinue ReplaceContinueWithBreak ZeroIterationForLoop"
out="$root/benchmarks/results/mutation_run_kernels.txt"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar cf - --exclude=.git --exclude=.venv --exclude=mutants --exclude=__pycache__ . | tar xf - -C "$work"
cd "$work"
# the copy, not the editable install, must be the one imported
PYTHONPATH=$work "$PY" -c "import idrt, sys; assert idrt.__file__.startswith('$work'), idrt.__file__"

if [[ "${1:-}" == recheck ]]; then
  recheck="$root/benchmarks/results/mutation_recheck_kernels.txt"
  echo "# survivors of $out rechecked with: $TESTS" > "$recheck"
  cp idrt/dispatch/_kernels.py _kernels.orig
  "$PY" - "$out" diffs <<'PY'
import pathlib
import sys

text = pathlib.Path(sys.argv[1]).read_text()
out = pathlib.Path(sys.argv[2])
out.mkdir()
for block in text.split("\n=== ")[1:]:
    head, _, diff = block.partition("\n")
    (out / head.split()[0]).write_text(diff.strip() + "\n")
PY
  for d in diffs/*; do
    cp _kernels.orig idrt/dispatch/_kernels.py
    patch -s -p1 < "$d"
    if env NUMBA_DISABLE_JIT=1 PYTHONPATH=$work timeout "${TIMEOUT_S:-300}" "$PY" -m pytest -x -q \
      -p no:cacheprovider -p no:randomly $TESTS > log.txt 2>&1; then
      status=survived
    else
      status="killed by $(grep -m1 -oE '^FAILED [^ ]+' log.txt | cut -c8- || echo 'a timeout or error')"
    fi
    echo "$(basename "$d") $status" | tee -a "$recheck"
  done
  cp _kernels.orig idrt/dispatch/_kernels.py
  exit 0
fi
cat > cr.toml <<EOF
[cosmic-ray]
module-path = "idrt/dispatch/_kernels.py"
timeout = ${TIMEOUT_S:-90}.0
excluded-modules = []
test-command = "env NUMBA_DISABLE_JIT=1 PYTHONPATH=$work $PY -m pytest -x -q -p no:cacheprovider -p no:randomly $TESTS"

[cosmic-ray.distributor]
name = "local"
EOF
if [[ -n "${SESSION:-}" && -f "$SESSION" ]]; then
  cp "$SESSION" session.sqlite  # go on with its pending mutants
else
  "$PY" -m cosmic_ray.cli init cr.toml session.sqlite
fi
# keep only the chosen functions and operators: the others are marked SKIPPED
"$PY" - session.sqlite "$FUNCTIONS" "$OPERATORS" <<'PY'
import sys

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

path, functions, operators = sys.argv[1], set(sys.argv[2].split()), set(sys.argv[3].split())
kept = 0
with use_db(path) as db:
    for item in list(db.pending_work_items):
        m = item.mutations[0]
        name = m.operator_name.removeprefix("core/")
        if m.definition_name in functions and name in operators:
            kept += 1
            continue
        db.set_result(
            item.job_id, WorkResult(output="filtered", worker_outcome=WorkerOutcome.SKIPPED)
        )
print(f"{kept} mutants to run")
PY
env NUMBA_DISABLE_JIT=1 PYTHONPATH=$work "$PY" -m pytest -x -q -p no:cacheprovider -p no:randomly $TESTS > baseline.txt 2>&1 \
  || { tail -20 baseline.txt; echo "the tests fail on the unmutated tree" >&2; exit 1; }
timeout "${BUDGET_S:-7200}" "$PY" -m cosmic_ray.cli exec cr.toml session.sqlite || true
[[ -z "${SESSION:-}" ]] || cp session.sqlite "$SESSION"
"$PY" - session.sqlite "$out" "$FUNCTIONS" "$TESTS" <<'PY'
import sys
from collections import Counter

from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import WorkerOutcome

path, out, functions, tests = sys.argv[1:]
rows = []
with use_db(path) as db:
    for item, result in db.completed_work_items:
        if result.worker_outcome == WorkerOutcome.SKIPPED:
            continue
        rows.append((item, result))
    pending = sum(1 for _ in db.pending_work_items)
count = Counter()
lines = []
for item, result in sorted(rows, key=lambda r: (r[0].mutations[0].start_pos, r[0].job_id)):
    m = item.mutations[0]
    if result.worker_outcome != WorkerOutcome.NORMAL:
        status = result.worker_outcome.value  # exception / abnormal (timeout)
    else:
        status = result.test_outcome.value  # killed / survived / incompetent
    count[status] += 1
    if status != "killed":
        head = (
            f"=== {item.job_id} {status} {m.definition_name} line {m.start_pos[0]} "
            f"{m.operator_name.removeprefix('core/')} #{m.occurrence}"
        )
        body = (result.diff or "").splitlines()
        body = body[body.index("--- mutation diff ---") + 1 :] if "--- mutation diff ---" in body else body
        lines.append("\n".join([head, *body]))
with open(out, "w") as f:
    f.write("# cosmic-ray on idrt/dispatch/_kernels.py, tests under NUMBA_DISABLE_JIT=1\n")
    f.write(f"# functions: {functions}\n# tests: {tests}\n")
    f.write(f"# {len(rows)} mutants run, {pending} not run (time budget): " + ", ".join(f"{v} {k}" for k, v in sorted(count.items())) + "\n")
    f.write("\n".join(lines) + "\n")
PY
head -4 "$out"
