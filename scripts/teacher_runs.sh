#!/bin/bash
# Fit several one-seed e5 teachers side by side on one accelerator (docs/models.md, v2026.11.17).
# Why side by side: e5-small is bound by kernel launches, not by the GPU, so on an H100 five or six processes each
# still ran 22 s an epoch. Each RUN is NAME:SEED:REASONS_WEIGHT and writes OUT/NAME/ (seedS.npz, log.json) and
# OUT/NAME.log; average the runs afterwards with `python scripts/teacher.py mean`. EPOCHS (default 6) and
# SNAPSHOT_FROM (each epoch's readings from that epoch on, so a time limit keeps the latest; default none) pass through.
#
#   bash scripts/teacher_runs.sh .teacher OUT sum0:0:1 sum1:1:1 sum2:2:1 avg0:0:0.0769 avg1:1:0.0769
#   bash scripts/teacher_runs.sh .teacher OUT sum3:3:1 sum4:4:1 sum5:5:1 avg2:2:0.0769 avg3:3:0.0769 avg4:4:0.0769
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 PACK OUT NAME:SEED:REASONS_WEIGHT..." >&2
  exit 2
fi
pack=$1 out=$2
shift 2
for run in "$@"; do
  IFS=: read -r name seed weight <<<"$run"
  if [ -z "$name" ] || [ -z "$seed" ] || [ -z "$weight" ]; then
    echo "$run: give NAME:SEED:REASONS_WEIGHT" >&2
    exit 2
  fi
done
mkdir -p "$out"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} PYTHONUNBUFFERED=1  # many processes share the host's cores
here=$(dirname "$0")
pids=()
for run in "$@"; do
  IFS=: read -r name seed weight <<<"$run"
  python3 "$here/teacher_fit.py" "$pack" "$out/$name" --seeds 1 --first-seed "$seed" --epochs "${EPOCHS:-6}" \
    --reasons-weight "$weight" --snapshot-from "${SNAPSHOT_FROM:-0}" >"$out/$name.log" 2>&1 &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for run in "$@"; do tail -n 1 "$out/${run%%:*}.log"; done
exit $status
