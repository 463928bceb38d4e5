// `dawnflow bench`: opens the device, runs the chosen suites (kernels by default; --peers alone
// runs only the peer comparison), prints tables, and writes the JSON report (--json FILE) and
// bench/RESULTS.md (--results FILE). `--from REPORT.json --results FILE` renders without a device.
import { readFileSync, writeFileSync } from 'node:fs';
import type { DeviceOptions } from '../gpu/device.js';
import { withEngine } from '../gpu/engine.js';
import { dawnflowEnvironment } from '../util/settings.js';
import type { FlagSpec } from './args.js';
import { UsageError } from './args.js';
import { kernelCaseNames, runKernelBench } from '../../bench/run.js';
import { runE2e } from '../../bench/e2e.js';
import { runPipelineBench } from '../../bench/pipeline.js';
import { runPeers } from '../../bench/peers/run.js';
import { learningDir, writeResults, type BenchReport } from '../../bench/results.js';
import { runLearningBench } from '../../bench/learning.js';
import { writeLearningFiles } from '../../bench/learning_results.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerModel } from '../../bench/peers/spec.js';
import { WORKLOAD_SIZE, workloadBatch } from '../apps/workload.js';

export const BENCH_FLAGS: FlagSpec = {
  suite: 'string', json: 'string', results: 'string', from: 'string', batch: 'count', size: 'size', repeat: 'count',
  warmup: 'index', quick: 'boolean', filter: 'string', list: 'boolean', 'wall-clock': 'boolean', data: 'string',
  peers: 'boolean', 'peers-model': 'string', 'peers-only': 'string', 'peer-timeout': 'positive',
  epochs: 'count', lr: 'positive', seed: 'index',
};

export const BENCH_HELP = `  bench  [--suite kernels|e2e|pipeline|learning|all|none] [--batch N] [--size 150] [--data DIR]
         [--filter REGEX] [--list] [--quick] [--repeat N] [--warmup N] [--wall-clock]
         [--peers [--peers-model vgg16|tiny] [--peers-only tfjs-webgpu,ort-webgpu] [--peer-timeout S]]
         [--json FILE] [--results bench/RESULTS.md] [--from REPORT.json]
                                  kernel benchmarks (validated, then timed), end-to-end steps,
                                  TF.js / onnxruntime WebGPU peers on the same adapter
         --suite learning --data DIR [--size 150] [--epochs 30] [--batch 32] [--lr 1e-4] [--seed 1]
                                  trains the from-scratch convnet on real photos; per-epoch curves
                                  into bench/results/learning-SIZE.{json,svg} and bench/RESULTS.md`;

const SUITES = ['kernels', 'e2e', 'pipeline', 'learning', 'all', 'none'];
const LEARNING_DATA = 'data/cats_and_dogs_small';

export async function bench(opts: DeviceOptions, flags: Record<string, unknown>): Promise<number> {
  const str = (k: string) => flags[k] as string | undefined;
  const num = (k: string) => flags[k] as number | undefined;
  const command = `dawnflow ${process.argv.slice(2).join(' ')}`.trim();
  if (str('from')) {
    if (!str('results')) throw new UsageError('--from REPORT.json needs --results FILE.md (it only renders)');
    const report = JSON.parse(readFileSync(str('from')!, 'utf8')) as BenchReport;
    const written = writeResults(str('results')!, report);
    console.log(`${str('results')}: wrote ${written.join(', ') || 'no'} section(s) from ${str('from')}`);
    return 0;
  }
  const peers = Boolean(flags.peers);
  const suite = str('suite') ?? (peers ? 'none' : 'kernels');
  if (!SUITES.includes(suite)) throw new UsageError(`--suite must be one of ${SUITES.join(', ')}`);
  const data = str('data');
  if (suite === 'pipeline' && !data) throw new UsageError('--suite pipeline needs --data DIR (a folder of class sub-folders)');
  if (suite === 'learning') return learning(opts, flags, command);
  const peersModel = (str('peers-model') ?? 'vgg16') as PeerModel;
  if (!['vgg16', 'tiny'].includes(peersModel)) throw new UsageError('--peers-model must be vgg16 or tiny');
  if (flags.filter) {
    try {
      new RegExp(str('filter')!);
    } catch (e) {
      throw new UsageError(`--filter: ${(e as Error).message}`);
    }
  }
  const quick = Boolean(flags.quick);

  return withEngine(opts, async (gpu) => {
    const batch = num('batch') ?? workloadBatch(gpu.info.software);
    if (flags.list) {
      for (const n of kernelCaseNames(batch, num('size') ?? WORKLOAD_SIZE)) console.log(n);
      return 0;
    }
    const report: BenchReport = {
      tool: 'dawnflow bench', date: new Date().toISOString(), command, node: process.version,
      env: dawnflowEnvironment(),
      adapter: { info: { ...gpu.info }, features: gpu.features, limits: gpu.limits },
    };
    const save = () => {
      // After every suite, so a long run that dies later keeps what it measured.
      if (str('json')) writeFileSync(str('json')!, JSON.stringify(report, null, 2));
      if (str('results')) writeResults(str('results')!, report);
    };
    if (suite === 'kernels' || suite === 'all') {
      report.kernels = await runKernelBench({
        batch, size: num('size'), repeat: num('repeat'), warmup: num('warmup'), quick, filter: str('filter'),
        wallClock: Boolean(flags['wall-clock']),
      });
      save();
    }
    if (suite === 'pipeline' || (suite === 'all' && data)) {
      const p = await runPipelineBench(data!, num('size') ?? WORKLOAD_SIZE, num('batch') ?? 20);
      console.log(`pipeline on ${data}: ${p.images} images, ${p.threads} decode threads: cold ${p.coldImagesPerSec.toFixed(1)} images/s, ` +
        `cached ${p.cachedImagesPerSec.toFixed(0)} images/s, with GPU augmentation ${p.augmentedGpuImagesPerSec.toFixed(1)} images/s`);
      report.pipeline = p;
      save();
    }
    if (suite === 'e2e' || suite === 'all') {
      report.e2e = await runE2e({ batch, size: num('size') ?? WORKLOAD_SIZE, repeat: num('repeat') ?? (quick ? 1 : 2) });
      save();
    }
    if (peers) {
      const size = num('size') ?? (peersModel === 'tiny' ? 32 : 150);
      const peerBatch = num('batch') ?? (peersModel === 'tiny' ? 1 : batch);
      const repeat = num('repeat') ?? (quick ? 1 : 3);
      // The e2e suite's forward and approach-3 step are the same workload: reuse them.
      const e = report.e2e;
      const reuse = e && peersModel === 'vgg16' && e.batch === peerBatch && e.size === size && e.repeat === repeat;
      report.peers = await runPeers({
        model: peersModel, batch: peerBatch, size, repeat,
        timeoutS: num('peer-timeout') ?? (peersModel === 'tiny' ? 180 : gpu.info.software ? 900 : 300),
        only: str('peers-only')?.split(',').map((s) => s.trim()),
        ours: reuse ? { forward: e.timings.forward, train: e.timings.approach3 } : undefined,
      });
      save();
    }
    if (str('json')) console.log(`wrote ${str('json')}`);
    if (str('results')) console.log(`wrote ${str('results')}`);
    return 0;
  });
}

/** `--suite learning`: its own defaults (batch 32, RESULTS.md written unless --results says elsewhere). */
async function learning(opts: DeviceOptions, flags: Record<string, unknown>, command: string): Promise<number> {
  const data = (flags.data as string | undefined) ?? LEARNING_DATA;
  for (const split of ['train', 'validation', 'test']) {
    if (!existsSync(join(data, split))) {
      throw new UsageError(`${data} has no ${split}/ folder: --suite learning needs --data DIR with train/, validation/ and test/ ` +
        '(the Kaggle photos: dawnflow fetch data cats-vs-dogs)');
    }
  }
  const size = (flags.size as number | undefined) ?? WORKLOAD_SIZE;
  // The small convnet's four valid 3x3 convs and 2x2 pools need at least 48 pixels.
  if (size < 48) throw new UsageError(`--size must be at least 48 for --suite learning (the small convnet's four conv/pool blocks), got ${size}`);
  const resultsPath = (flags.results as string | undefined) ?? 'bench/RESULTS.md';
  const dir = learningDir(resultsPath);
  return withEngine(opts, async (gpu) => {
    const base: BenchReport = {
      tool: 'dawnflow bench', date: new Date().toISOString(), command, node: process.version,
      env: dawnflowEnvironment(),
      adapter: { info: { ...gpu.info }, features: gpu.features, limits: gpu.limits },
    };
    const r = await runLearningBench({
      data, size, epochs: (flags.epochs as number | undefined) ?? 30,
      batch: (flags.batch as number | undefined) ?? 32, lr: (flags.lr as number | undefined) ?? 1e-4, seed: (flags.seed as number | undefined) ?? 1,
      onUpdate: (rep) => {
        // Every epoch: a run stopped early keeps its curve and table.
        writeLearningFiles(dir, rep);
        writeResults(resultsPath, { ...base, learning: rep });
        if (flags.json) writeFileSync(flags.json as string, JSON.stringify({ ...base, learning: rep }, null, 2));
      },
    });
    console.log(`learning at ${r.size}x${r.size}: best val_acc ${r.bestValAcc?.toFixed(4)} at epoch ${r.bestEpoch}, ` +
      `test acc ${r.test?.acc.toFixed(4)}, ${r.wallS.toFixed(0)} s; wrote ${dir}/learning-${r.size}.{json,-acc.svg,-loss.svg} and ${resultsPath}`);
    return 0;
  });
}
