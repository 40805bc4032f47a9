#!/usr/bin/env bash
# The real exercise on the real CIFAR-10 (not CI): every variant, LR search included, report in $OUT.
#   scripts/run-exercise.sh                 # the full job (DESIGN.md defaults: 100 epochs max, patience 20)
#   scripts/run-exercise.sh --quick         # the 5,000-image demo
#   scripts/run-exercise.sh --resume        # continue a stopped run (same OUT)
# Environment: DATA (default ../shared/cifar10/cifar-10-batches-bin), OUT (default ./torchnode-exercise),
# TORCHNODE_ADDON (optional: a .node of your own build). Extra arguments go to `torchnode exercise`.
# It prints the wall time at the end; the numbers are in $OUT/summary.json and $OUT/report.{html,md}.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${DATA:-../shared/cifar10/cifar-10-batches-bin}"
OUT="${OUT:-torchnode-exercise}"
if [ ! -f "$DATA/data_batch_1.bin" ]; then
  echo "run-exercise: no CIFAR-10 binary files in $DATA (set DATA=...)" >&2
  exit 2
fi
# From source in a checkout (dist/ may be stale); the built CLI otherwise.
if [ -f lib/cli/dev.ts ] && [ -d node_modules/tsx ]; then
  CLI=(node --import tsx lib/cli/dev.ts)
else
  CLI=(node bin/torchnode.js)
fi
"${CLI[@]}" info
start=$(date +%s)
status=0
"${CLI[@]}" exercise --data-dir "$DATA" --out "$OUT" "$@" || status=$?
end=$(date +%s)
echo "run-exercise: exit $status, wall time $((end - start)) s; report in $OUT/report.html" >&2
exit $status
