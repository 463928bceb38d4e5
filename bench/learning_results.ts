// The learning benchmark's files: bench/results/learning-<size>.json (the whole report, rewritten
// after every epoch), learning-<size>-acc.svg / -loss.svg (the book's two plots) and its section
// of bench/RESULTS.md, which links the pictures.
import { basename, dirname, join, relative } from 'node:path';
import { plotCurvesSvg } from '../src/report/plot_svg.js';
import type { PlotSeries } from '../src/report/axes.js';
import { writeFileAtomic } from '../src/util/atomic_write.js';
import type { LearningReport } from './learning.js';

const BLUE: [number, number, number] = [31, 119, 180];
const ORANGE: [number, number, number] = [255, 127, 14];
const f = (v: number | null | undefined, d = 4): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-';

export const learningStem = (size: number): string => `learning-${size}`;

function curve(r: LearningReport, metric: 'acc' | 'loss'): string {
  const series: PlotSeries[] = [
    { label: `Training ${metric}`, values: r.history[metric], color: BLUE, style: 'dots' },
    { label: `Validation ${metric}`, values: r.history[`val_${metric}`], color: ORANGE, style: 'line' },
  ];
  const word = metric === 'acc' ? 'accuracy' : 'loss';
  return plotCurvesSvg(series, {
    title: `Small convnet from scratch, ${r.size}x${r.size}: training and validation ${word}`,
    yLabel: metric === 'acc' ? 'Accuracy' : 'Loss',
    xLabel: 'Epochs',
    width: 560,
    height: 340,
  });
}

/** Writes the JSON and both SVG curves into `dir`; returns their paths. */
export function writeLearningFiles(dir: string, r: LearningReport): string[] {
  const stem = join(dir, learningStem(r.size));
  const files: [string, string][] = [
    [`${stem}.json`, `${JSON.stringify(r, null, 2)}\n`],
    [`${stem}-acc.svg`, `${curve(r, 'acc')}\n`],
    [`${stem}-loss.svg`, `${curve(r, 'loss')}\n`],
  ];
  for (const [path, text] of files) writeFileAtomic(path, text);
  return files.map(([p]) => p);
}

/** The RESULTS.md section; `resultsPath` and `dir` place the pictures' relative links. */
export function learningSection(r: LearningReport, header: string, resultsPath: string, dir: string): string {
  const link = (suffix: string): string =>
    relative(dirname(resultsPath), join(dir, `${learningStem(r.size)}${suffix}`))
      .split('\\')
      .join('/');
  const done = r.history.val_acc.length;
  const target = r.target.met === null ? 'not decided yet' : r.target.met ? '**met**' : '**not met**';
  const rows = r.history.val_acc.map(
    (_, i) =>
      `| ${i + 1} | ${f(r.history.loss[i])} | ${f(r.history.acc[i])} | ` +
      `${f(r.history.val_loss[i])} | ${f(r.history.val_acc[i])} | ${f(r.epochSeconds[i], 1)} |`,
  );
  return [
    `## Learning: ${r.size}x${r.size}`,
    '',
    header,
    '',
    `${r.workload}: lr ${r.lr}, batch ${r.batch}, seed ${r.seed}; data \`${basename(r.data)}\` ` +
      `(${r.samples.train} train, ${r.samples.validation} validation images; one pass over train/ per epoch, all of validation/ after it).`,
    '',
    `Status: ${r.status}, ${done} of ${r.epochsPlanned} epochs in ${f(r.wallS, 0)} s. Best val_acc **${f(r.bestValAcc)}** at epoch ${r.bestEpoch ?? '-'}; ` +
      `test acc ${r.test ? `**${f(r.test.acc)}** (${r.test.images} images, loss ${f(r.test.loss)})` : '-'}. ` +
      `Target (best val_acc >= ${r.target.valAcc} within ${r.target.withinEpochs} epochs; the book reaches about 0.70-0.72 before it overfits): ${target}.`,
    '',
    `![accuracy](${link('-acc.svg')}) ![loss](${link('-loss.svg')})`,
    '',
    '| epoch | loss | acc | val_loss | val_acc | s |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Data: \`${link('.json')}\`.`,
  ].join('\n');
}
