#!/usr/bin/env bash
# The prepared GPU check (tests/benchmarks/gpu_check.py): under 8 minutes on one H200.
#
#   bash tests/benchmarks/gpu_check.sh              # GPU: cupdlpx measure form, RochetNet and transformer on CUDA
#   bash tests/benchmarks/gpu_check.sh --cpu-smoke  # the same code path on CPU, tiny sizes (tests/test_gpu_check.py)
#
# Writes one markdown table to $OUT/gpu_check.md when OUT is set, else to stdout.
# PYTHON names the interpreter (default: python, else python3). No network is assumed:
# `pip install cupdlpx` is tried (40 s at most) and its failure is a row, not an abort.
# Budget: 40 s pip + 400 s of cases (gpu_check.py's own deadline; each case has its
# own timeout), under an outer timeout of 420 s: 7.7 minutes at most.
set -u
cd "$(dirname "$0")/../.." || exit 1
PY=${PYTHON:-$(command -v python || command -v python3)}
if [ "${1:-}" != "--cpu-smoke" ]; then
    start=$(date +%s)
    if timeout 40 "$PY" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 10 cupdlpx >&2; then
        pip_status=ok
    else
        pip_status="failed (exit $?)"
    fi
    set -- --pip-status "$pip_status" --pip-seconds "$(( $(date +%s) - start ))" "$@"
fi
timeout 420 "$PY" tests/benchmarks/gpu_check.py "$@"
rc=$?
[ "$rc" -eq 124 ] && echo "gpu_check.sh: the cases ran past 420 s; the table has the rows they finished" >&2
exit "$rc"
