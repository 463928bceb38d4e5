// `dawnflow bench`: opens the device, runs the chosen suites (kernels by default; --peers alone
// runs only the peer comparison), prints tables, and writes the JSON report (--json FILE) and
// bench/RESULTS.md (--results FILE). `--from REPORT.json --results FILE` renders without a device.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { DeviceOptions, Gpu } from '../gpu/device.js';
import { withEngine } from '../gpu/engine.js';
import { dawnflowEnvironment } from '../util/settings.js';
import { CATS_VS_DOGS_OUT, SMALL_DIR } from '../data/cats_vs_dogs_names.js';
import { UsageError, type FlagSpec } from './args.js';
import { DEVICE_FLAGS } from './common_flags.js';
import { kernelCaseNames, kernelDefaults, runKernelBench } from '../../bench/run.js';
import { runE2e } from '../../bench/e2e.js';
import { measureCeilings } from '../../bench/ceilings.js';
import { runScaling } from '../../bench/scaling.js';
import { runPipelineBench } from '../../bench/pipeline.js';
import { runPeers } from '../../bench/peers/run.js';
import { learningDir, writeResults, type BenchReport } from '../../bench/results.js';
import { hostCpu } from '../../bench/host.js';
import { runLearningBench } from '../../bench/learning.js';
import { writeLearningFiles } from '../../bench/learning_results.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PeerModel } from '../../bench/peers/spec.js';
import { WORKLOAD_SIZE, workloadBatch } from '../apps/workload.js';

const SUITES = ['kernels', 'e2e', 'scaling', 'pipeline', 'learning', 'all', 'none'];
/** `--suite learning`'s own defaults (the chapter's from-scratch convnet on the photos). */
const LEARNING = {
  data: join(CATS_VS_DOGS_OUT, SMALL_DIR),
  epochs: 30,
  batch: 32,
  lr: 1e-4,
  seed: 1,
  results: 'bench/RESULTS.md',
};
const PEER_MODELS: PeerModel[] = ['vgg16', 'tiny'];

/** The kernel suite's repetitions on each kind of adapter, as its defaults say. */
function kernelRepeats(): string {
  const [hw, sw, quick] = [kernelDefaults(false, {}), kernelDefaults(true, {}), kernelDefaults(false, { quick: true })];
  return `${hw.repeat} (${sw.repeat} on a software adapter, ${quick.repeat} with --quick)`;
}

const batchDefault =
  `${workloadBatch(false)} (${workloadBatch(true)} on a software adapter; ` + `learning ${LEARNING.batch})`;

export const BENCH_FLAGS: FlagSpec = {
  ...DEVICE_FLAGS,
  suite: {
    kind: 'string',
    value: SUITES.join('|'),
    help:
      'what to time: kernels (validated, then timed), e2e training steps, VGG16 forward against ' +
      'batch and image size, the image pipeline, learning curves of the from-scratch convnet',
    default: 'kernels (none with --peers)',
  },
  json: { kind: 'string', value: 'FILE', help: 'write the whole report as JSON (after every suite)' },
  results: {
    kind: 'string',
    value: 'FILE.md',
    help: 'update the sections of a results page',
    default: `none (learning: ${LEARNING.results})`,
  },
  from: { kind: 'string', value: 'REPORT.json', help: 'render --results from a saved --json report, without a device' },
  batch: { kind: 'count', help: 'images per batch', default: batchDefault },
  size: { kind: 'size', help: 'image side in pixels', default: `${WORKLOAD_SIZE} (tiny peers model: 32)` },
  repeat: {
    kind: 'count',
    help: 'timed repetitions',
    default: () => `kernels ${kernelRepeats()}; fewer for the other suites`,
  },
  warmup: {
    kind: 'index',
    help: 'untimed repetitions first (kernels)',
    default: () => kernelDefaults(false, {}).warmup,
  },
  quick: { kind: 'boolean', help: 'fewer cases and repetitions' },
  filter: { kind: 'string', value: 'REGEX', help: 'only the kernel cases whose name matches' },
  list: { kind: 'boolean', help: 'list the kernel cases and stop' },
  'wall-clock': { kind: 'boolean', help: 'time kernels by the wall clock, not timestamp queries' },
  data: {
    kind: 'string',
    value: 'DIR',
    help: 'the photos of --suite pipeline and learning',
    default: `learning: ${LEARNING.data}`,
  },
  peers: {
    kind: 'boolean',
    help: 'also run TensorFlow.js-WebGPU, onnxruntime (WebGPU and CPU) and PyTorch CPU on the same job',
  },
  'peers-model': { kind: 'string', value: PEER_MODELS.join('|'), help: "the peers' model", default: PEER_MODELS[0] },
  'peers-only': {
    kind: 'string',
    value: 'tfjs-webgpu,ort-webgpu,ort-cpu,torch-cpu',
    help: 'only these peers (comma-separated)',
    default: 'all',
  },
  'peer-timeout': { kind: 'positive', help: 'seconds before a peer is stopped', default: 'by model and adapter' },
  rounds: {
    kind: 'count',
    help:
      'time the kernel suite this many times over, each case once a round, its figures of every round; ' +
      'with --peers, run dawnflow and every peer this many times, interleaved (each round its own ratio)',
    default: 1,
  },
  epochs: { kind: 'count', help: '--suite learning: epochs', default: LEARNING.epochs },
  lr: { kind: 'positive', help: "--suite learning: RMSprop's learning rate", default: LEARNING.lr },
  seed: { kind: 'index', help: '--suite learning: seed', default: LEARNING.seed },
};

/** The flags read only by the peers comparison (`--peers`). */
const PEER_FLAGS = ['peers-model', 'peers-only', 'peer-timeout'] as const;

/** What every report records before its results: the run, the environment and the adapter. */
function reportHeader(command: string, gpu: Gpu): BenchReport {
  return {
    tool: 'dawnflow bench',
    date: new Date().toISOString(),
    command,
    node: process.version,
    env: dawnflowEnvironment(),
    adapter: { info: { ...gpu.info }, features: gpu.features, limits: gpu.limits },
  };
}

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
  // Flags that only shape the peers run would otherwise be dropped without a word.
  const peerFlag = PEER_FLAGS.find((k) => flags[k] !== undefined);
  if (peerFlag && !peers) throw new UsageError(`--${peerFlag} applies to the peers comparison: add --peers`);
  const suite = str('suite') ?? (peers ? 'none' : 'kernels');
  if (!SUITES.includes(suite)) throw new UsageError(`--suite must be one of ${SUITES.join(', ')}`);
  const kernelSuite = suite === 'kernels' || suite === 'all';
  if (flags.rounds !== undefined && !peers && !kernelSuite)
    throw new UsageError('--rounds applies to the kernel suite (--suite kernels or all) and to --peers');
  const data = str('data');
  if (suite === 'pipeline' && !data)
    throw new UsageError('--suite pipeline needs --data DIR (a folder of class sub-folders)');
  if (suite === 'learning') return learning(opts, flags, command);
  const peersModel = (str('peers-model') ?? 'vgg16') as PeerModel;
  if (!PEER_MODELS.includes(peersModel)) throw new UsageError(`--peers-model must be ${PEER_MODELS.join(' or ')}`);
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
    const load = { cores: cpus().length, cpu: hostCpu(), start: loadavg() };
    const report: BenchReport = { ...reportHeader(command, gpu), load };
    const save = () => {
      // After every suite, so a long run that dies later keeps what it measured.
      report.load!.end = loadavg();
      if (str('json')) writeFileSync(str('json')!, JSON.stringify(report, null, 2));
      if (str('results')) writeResults(str('results')!, report);
    };
    // The ceilings first: every suite's figures are reported as shares of them.
    report.ceilings = await measureCeilings(kernelDefaults(gpu.info.software, { quick }));
    if (kernelSuite) {
      report.kernels = await runKernelBench({
        ceilings: report.ceilings,
        batch,
        size: num('size'),
        repeat: num('repeat'),
        warmup: num('warmup'),
        quick,
        filter: str('filter'),
        wallClock: Boolean(flags['wall-clock']),
        rounds: num('rounds'),
      });
      save();
    }
    if (suite === 'pipeline' || (suite === 'all' && data)) {
      const p = await runPipelineBench(data!, num('size') ?? WORKLOAD_SIZE, num('batch') ?? 20);
      console.log(
        `pipeline on ${data}: ${p.images} images, ${p.threads} decode threads: cold ${p.coldImagesPerSec.toFixed(1)} images/s, ` +
          `cached ${p.cachedImagesPerSec.toFixed(0)} images/s, with GPU augmentation ${p.augmentedGpuImagesPerSec.toFixed(1)} images/s`,
      );
      report.pipeline = p;
      save();
    }
    if (suite === 'e2e' || suite === 'all') {
      report.e2e = await runE2e({
        batch,
        size: num('size') ?? WORKLOAD_SIZE,
        repeat: num('repeat') ?? (quick ? 1 : 2),
      });
      save();
    }
    if (suite === 'scaling') {
      report.scaling = await runScaling({ quick, repeat: num('repeat') });
      save();
    }
    if (peers) {
      const size = num('size') ?? (peersModel === 'tiny' ? 32 : 150);
      const peerBatch = num('batch') ?? (peersModel === 'tiny' ? 1 : batch);
      const repeat = num('repeat') ?? (quick ? 1 : 3);
      report.peers = await runPeers({
        model: peersModel,
        batch: peerBatch,
        size,
        repeat,
        timeoutS: num('peer-timeout') ?? (peersModel === 'tiny' ? 180 : gpu.info.software ? 900 : 300),
        only: str('peers-only')
          ?.split(',')
          .map((s) => s.trim()),
        fmaGflops: report.ceilings.fmaGflops,
        rounds: num('rounds'),
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
  const data = (flags.data as string | undefined) ?? LEARNING.data;
  for (const split of ['train', 'validation', 'test']) {
    if (!existsSync(join(data, split))) {
      throw new UsageError(
        `${data} has no ${split}/ folder: --suite learning needs --data DIR with train/, validation/ and test/ ` +
          '(the Kaggle photos: dawnflow fetch data cats-vs-dogs)',
      );
    }
  }
  const size = (flags.size as number | undefined) ?? WORKLOAD_SIZE;
  // The small convnet's four valid 3x3 convs and 2x2 pools need at least 48 pixels.
  if (size < 48)
    throw new UsageError(
      `--size must be at least 48 for --suite learning (the small convnet's four conv/pool blocks), got ${size}`,
    );
  const resultsPath = (flags.results as string | undefined) ?? LEARNING.results;
  const dir = learningDir(resultsPath);
  return withEngine(opts, async (gpu) => {
    const base = reportHeader(command, gpu);
    const r = await runLearningBench({
      data,
      size,
      epochs: (flags.epochs as number | undefined) ?? LEARNING.epochs,
      batch: (flags.batch as number | undefined) ?? LEARNING.batch,
      lr: (flags.lr as number | undefined) ?? LEARNING.lr,
      seed: (flags.seed as number | undefined) ?? LEARNING.seed,
      onUpdate: (rep) => {
        // Every epoch: a run stopped early keeps its curve and table.
        writeLearningFiles(dir, rep);
        writeResults(resultsPath, { ...base, learning: rep });
        if (flags.json) writeFileSync(flags.json as string, JSON.stringify({ ...base, learning: rep }, null, 2));
      },
    });
    console.log(
      `learning at ${r.size}x${r.size}: best val_acc ${r.bestValAcc?.toFixed(4)} at epoch ${r.bestEpoch}, ` +
        `test acc ${r.test?.acc.toFixed(4)}, ${r.wallS.toFixed(0)} s; wrote ${dir}/learning-${r.size}.{json,-acc.svg,-loss.svg} and ${resultsPath}`,
    );
    return 0;
  });
}
