#!/usr/bin/env bash
# The one device call of a session that is lent a GPU (docs/gpus.md, "On a GPU, check first"):
#   run(command="bash .gpu/run.sh bash scripts/gpu-check.sh", carry=[".gpu"], timeout_s=540)
# after ../shared/device/pack.sh here. As ../shared/device/gpu-check.sh, plus the one thing only a
# GPU can show this project: the subgroup kernels (sg, Winograd, the RGB patch products) at the
# GPU's own subgroup size. A GPU's plan does not use them (it takes the GEMM core); they run here
# with DAWNFLOW_PLAN_AS=software, which chooses kernels as for lavapipe on any adapter.
# Every step has its own time box (490 s in all, leaving the call's 540 s room to unpack) and its
# log; a step that fails or runs out of time is recorded while the next one still runs.
# Everything lands under $OUT, which comes back: summary.txt first.
set -u
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
cd "$(dirname "$0")/.."

step() {
  local name=$1 secs=$2 t=$SECONDS rc
  shift 2
  timeout "$secs" "$@" >"$out/$name.log" 2>&1
  rc=$?
  echo "$name: exit $rc in $((SECONDS - t)) s$([ "$rc" = 124 ] && echo ' (time box)')" | tee -a "$out/summary.txt"
  tail -4 "$out/$name.log" | sed 's/^/    /' | tee -a "$out/summary.txt"
}

echo "node $(node --version); $(date -u +%FT%TZ)" >"$out/summary.txt"
step info 20 node bin/dawnflow.js info
grep -E '^(adapter|subgroups|sg share|kernels):' "$out/info.log" | sed 's/^/    /' | tee -a "$out/summary.txt"
# The GPU's own plan (the default on a GPU): every test, reasons for the skipped ones in the JSON.
step tests 160 npx vitest run --reporter=default --reporter=json --outputFile="$out/tests.json"
# The software plan on the GPU's subgroups: the sg and Winograd kernels at its real lane count.
step tests-software-plan 90 env DAWNFLOW_PLAN_AS=software npx vitest run test/ops/sg_lanes.test.ts \
  test/ops/sg_probe.test.ts test/ops/conv2d.test.ts test/ops/winograd.test.ts test/ops/conv_pool.test.ts \
  test/nn/training.test.ts --reporter=default --reporter=json --outputFile="$out/tests-software-plan.json"
step bench-e2e 110 node bin/dawnflow.js bench --suite e2e --peers --json "$out/e2e.json"
step bench-kernels 80 node bin/dawnflow.js bench --suite kernels --json "$out/kernels.json"
step tune 30 node bin/dawnflow.js tune --reps 2
cp ~/.cache/dawnflow/tuning-*.json "$out/" 2>/dev/null
echo "done; read $out/summary.txt"
