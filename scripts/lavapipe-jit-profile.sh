#!/usr/bin/env bash
# Where lavapipe spends a kernel's time, instruction by instruction (docs/lavapipe.md, "Reading
# the generated code"). lavapipe compiles each WGSL kernel to x86 at run time (LLVM JIT), so perf
# sees anonymous code with no symbols. This runs a kernel bench case in a loop, samples it with
# perf, then attaches gdb to the still-running process and disassembles the hottest code pages,
# each instruction prefixed by its sample count:
#   bash scripts/lavapipe-jit-profile.sh block3_conv2/forward [OUT_DIR]
# Needs perf and gdb (Debian: linux-perf, gdb) and leave to attach to one's own processes
# (kernel.perf_event_paranoid <= 2, kernel.yama.ptrace_scope 0 or root). The bench case runs on
# the default adapter; the engine's own kernels are what it times (bench --suite kernels --list).
set -euo pipefail
filter=${1:?usage: lavapipe-jit-profile.sh BENCH_CASE_FILTER [OUT_DIR]}
out=${2:-$(mktemp -d /tmp/dawnflow-jit-XXXXXX)}
mkdir -p "$out"
cd "$(dirname "$0")/.."
for tool in perf gdb python3; do
  command -v "$tool" >/dev/null || { echo "lavapipe-jit-profile: $tool not found; install it (Debian: apt-get install linux-perf gdb python3)" >&2; exit 2; }
done

node bin/dawnflow.js bench --suite kernels --filter "$filter" --repeat 100000 >"$out/bench.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
# Compilation and validation come first; sample only the timed loop.
sleep "${WARMUP_S:-15}"
kill -0 $pid 2>/dev/null || { echo "lavapipe-jit-profile: the bench ended early; see $out/bench.log" >&2; exit 1; }
perf record -F 2999 -p $pid -o "$out/perf.data" -- sleep "${SAMPLE_S:-5}" >/dev/null 2>&1
perf script -i "$out/perf.data" -F ip 2>/dev/null >"$out/ips.txt"

# The hottest 4 KiB pages of code; each is disassembled from its start (instructions may straddle
# a page boundary, so a page's first lines can be the tail of the one before).
python3 - "$out" <<'PY'
import sys
from collections import Counter
out = sys.argv[1]
ips = [int(l, 16) for l in open(f"{out}/ips.txt") if l.strip()]
pages = Counter(ip >> 12 for ip in ips)
with open(f"{out}/pages.txt", "w") as f:
    for page, n in pages.most_common(6):
        f.write(f"{page << 12:#x} {n} {100 * n / len(ips):.1f}%\n")
PY
args=()
while read -r page _; do args+=(-ex "x/1400i $page"); done <"$out/pages.txt"
gdb -p $pid -batch "${args[@]}" 2>/dev/null | grep -E '^ *0x' >"$out/disassembly.txt" || true

python3 - "$out" <<'PY'
import sys
from collections import Counter
out = sys.argv[1]
hits = Counter(int(l, 16) for l in open(f"{out}/ips.txt") if l.strip())
seen, lines, by_op = set(), [], Counter()
for line in open(f"{out}/disassembly.txt"):
    addr = int(line.split()[0].rstrip(":"), 16)
    if addr in seen:
        continue
    seen.add(addr)
    n = hits.get(addr, 0)
    parts = line.split("\t")
    op = parts[1].split()[0] if len(parts) > 1 and parts[1].split() else "?"
    by_op[op] += n
    lines.append(f"{n:6d} {line.rstrip()}")
open(f"{out}/annotated.txt", "w").write("\n".join(lines) + "\n")
total = sum(hits.values())
print(f"samples: {total}; hottest pages of code (address, samples, share):")
print(open(f"{out}/pages.txt").read().rstrip())
print("samples by instruction in those pages:")
for op, n in by_op.most_common(12):
    print(f"  {op:14s} {n:7d}  {100 * n / max(total, 1):5.1f}%")
print(f"annotated disassembly: {out}/annotated.txt")
PY
