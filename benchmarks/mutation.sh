#!/usr/bin/env bash
# Mutation testing of the KPI, delay and statistics modules ([tool.mutmut] in
# pyproject.toml). Slow (minutes to an hour on 2 cores): not part of CI.
#   bash benchmarks/mutation.sh            # run, then list the survivors
# Survivors are written to benchmarks/results/mutation_survivors.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m pip install -q "mutmut>=3.3"
rm -rf mutants
"$PY" -m mutmut run --max-children "${JOBS:-2}" || true
"$PY" -m mutmut results > benchmarks/results/mutation_survivors.txt || true
echo "survivors: $(grep -c ': survived' benchmarks/results/mutation_survivors.txt || true)"
cat benchmarks/results/mutation_survivors.txt
