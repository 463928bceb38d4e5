// Where pooling's time goes: each block's last conv and its pool timed apart (their own kernel
// cases) beside the pair as the engine runs it (bench/kernels/conv_pool.ts), for the kernels
// section of bench/RESULTS.md. Where the planner fuses the pair, the pool is the conv's epilogue
// and the difference is what the fusion saves: the pool's pass and the conv's full-size output.
import type { BenchResult } from './harness.js';

const f = (v: number) => v.toFixed(2);

/**
 * The fastest rep of a case by name, or null when it did not run or failed. The table subtracts
 * timings of three cases run at different moments: on a shared machine, load adds time to
 * whole cases, and the minimum is the figure it spoils least.
 */
function fastest(results: BenchResult[], name: string): number | null {
  const r = results.find((c) => c.name === name && !c.error);
  return r ? r.minMs : null;
}

/** One row per pair and pass that ran with both its parts; none when no pair ran. */
export function poolPlacement(results: BenchResult[]): string[] {
  const rows: string[] = [];
  for (const r of results) {
    const m = /^(block\d+_conv\d+)\+(block\d+_pool)\/(forward|forward_nograd)$/.exec(r.name);
    if (!m || r.error) continue;
    const [, conv, pool, pass] = m;
    const convMs = fastest(results, `${conv}/forward`);
    const poolMs = fastest(results, `${pool}/${pass}`);
    if (convMs === null || poolMs === null) continue;
    const apart = convMs + poolMs;
    const saved = apart - r.minMs;
    const what = pass === 'forward' ? 'winners kept' : 'no gradient';
    rows.push(
      `| ${conv} + ${pool} | ${what} | ${f(convMs)} | ${f(poolMs)} | ${f(apart)} | ${f(r.minMs)} | ${f(saved)} (${((100 * saved) / apart).toFixed(0)}%) |`,
    );
  }
  if (!rows.length) return [];
  return [
    '',
    "Pooling where it runs: each block's last conv and its pool apart (their cases above; the conv's without a gradient), and the pair as the engine runs it, fused into the conv's kernel where the planner allows (the `+` cases). Minimum ms over the timed reps: a difference of cases timed at different moments, so on a busy machine compare it across runs.",
    '',
    '| pair | pass | conv | pool | apart | pair | saved |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}
