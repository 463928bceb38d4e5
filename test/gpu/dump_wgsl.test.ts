// `dawnflow profile ... --dump-wgsl DIR`: the command writes profile.json and profile.html, and
// every kernel specialisation it compiled as one WGSL file that compiles on its own, named by the
// hash each profiled dispatch carries. (A file of its own: the pipeline cache is per process, and
// only pipelines built after the dump folder is set are written.)
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { currentGpu } from '../../src/gpu/engine.js';
import { adapterFacts, hasSgShare } from '../../src/kernels/plan_context.js';
import { wgslDumpDir } from '../../src/gpu/shader_source.js';
import { profileCommand } from '../../src/cli/profile.js';
import type { ProfileReport } from '../../src/gpu/profile_run.js';
import { run } from '../../src/cli/main.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('profile fine-tune --dump-wgsl: the report, and dumped kernels that compile', async () => {
  const out = join(dir, 'run');
  const wgsl = join(dir, 'wgsl');
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void lines.push(String(s)));
  let code: number;
  try {
    code = await profileCommand('fine-tune', { size: 32, batch: 1, steps: 1, out, 'dump-wgsl': wgsl }, {});
  } finally {
    log.mockRestore();
  }
  expect(code).toBe(0);
  expect(wgslDumpDir()).toBe(process.env.DAWNFLOW_DUMP_WGSL || null);
  const printed = lines.join('\n');
  expect(printed).toMatch(/top 5 kernels by GPU time:\n( {2}\S+ .* GFLOP\/s\n){5}/);
  expect(readdirSync(out).sort()).toEqual(['profile.html', 'profile.json', 'profile.trace.json']);
  const r = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8')) as ProfileReport;
  expect(r.workload).toBe('fine-tune');
  expect(r.settings).toMatchObject({ size: 32, batch: 1, steps: 1, weights: 'random' });
  // Fine-tuning trains block5 and the head: block5_conv1's weight gradient is there, block4's is not.
  const phases = (layer: string) => new Set(r.dispatches.filter((d) => d.layer === layer).map((d) => d.phase));
  expect(phases('block5_conv1')).toEqual(new Set(['forward', 'backward', 'optimizer']));
  expect(phases('block4_conv2')).toEqual(new Set(['forward']));
  // A frozen conv straight into its pool runs as one fused op, profiled under both names, where
  // the kernels are chosen for a software adapter (its Winograd output stores the pool); a GPU's
  // plan runs the two.
  if (adapterFacts().software && hasSgShare()) expect(phases('block4_conv3+block4_pool')).toEqual(new Set(['forward']));
  else for (const l of ['block4_conv3', 'block4_pool']) expect(phases(l)).toEqual(new Set(['forward']));

  const files = readdirSync(wgsl).filter((f) => f.endsWith('.wgsl'));
  expect(files.length).toBeGreaterThan(5);
  for (const d of r.dispatches) expect(files).toContain(`${d.kernel}.${d.hash}.wgsl`);
  const device = currentGpu().device;
  for (const f of files) {
    const code = readFileSync(join(wgsl, f), 'utf8');
    expect(code).toMatch(/^\/\/ dawnflow kernel "[\w-]+", specialisation [0-9a-f]{8}\n/);
    expect(code).toMatch(/\n\/\/ override constants: WG_X=\d+ WG_Y=\d+ WG_Z=\d+/);
    expect(code).toMatch(/\n\/\/ workgroup size: \d+x\d+x\d+\n/);
    expect(code).not.toMatch(/\{\{|\/\/#include/);
    const info = await device.createShaderModule({ code, label: f }).getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${f}:${m.lineNum}: ${m.message}`);
    expect(errors).toEqual([]);
  }
});

test('profile scratch: every layer of the from-scratch convnet trains', async () => {
  const out = join(dir, 'scratch');
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  let code: number;
  try {
    code = await profileCommand('scratch', { size: 46, batch: 2, steps: 1, out }, {});
  } finally {
    log.mockRestore();
  }
  expect(code).toBe(0);
  const r = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8')) as ProfileReport;
  expect(r.settings).toMatchObject({ size: 46, batch: 2, steps: 1, weights: 'random' });
  // A layer's dispatches, its conv + pool pair's included (one op, named conv+pool in profiles).
  const mine = (layer: string, label: string) => label === layer || label.startsWith(`${layer}+`);
  const phases = (layer: string) => new Set(r.dispatches.filter((d) => mine(layer, d.layer)).map((d) => d.phase));
  // Its 4 conv and 2 dense layers (named by Keras's per-process counters) each run all phases.
  const updated = new Set(r.dispatches.filter((d) => d.phase === 'optimizer').map((d) => d.layer));
  expect([...updated].map((l) => l.replace(/_\d+$/, '')).sort()).toEqual([
    'conv2d',
    'conv2d',
    'conv2d',
    'conv2d',
    'dense',
    'dense',
  ]);
  for (const layer of updated) expect(phases(layer), layer).toEqual(new Set(['forward', 'backward', 'optimizer']));
});

test('usage errors', async () => {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((s: unknown) => void lines.push(String(s)));
  try {
    expect(await run(['profile'])).toBe(2);
    expect(await run(['profile', 'train'])).toBe(2);
    expect(await run(['profile', 'features', '--steps', '0'])).toBe(2);
    expect(await run(['profile', 'features', '--size', '16'])).toBe(2);
    expect(await run(['profile', 'features', '--method', 'magic'])).toBe(2);
    expect(await run(['profile', 'scratch', '--size', '45'])).toBe(2);
    expect(await run(['profile', 'scratch', '--weights', 'imagenet'])).toBe(2);
    expect(lines.join('\n')).toMatch(/usage: dawnflow profile transfer\|fine-tune\|features/);
  } finally {
    err.mockRestore();
  }
});
