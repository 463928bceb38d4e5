// Writes a chapter run's report directory: results.json, report.html, PNG plots and each
// approach's history as a Keras CSVLogger file. Each file is written to a temporary name and
// renamed, so a reader (or a second run rewriting the report after every epoch) never sees half
// a file.
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic_write.js';
import { combinedSeries, curveSeries, renderReport, thumbnailDataUri, type Thumbnail } from './html.js';
import { fileStem, historyCsv, historyPath } from './history_csv.js';
import { plotCurvesSvg } from './plot_svg.js';
import type { ApproachResult, ChapterResults } from './results.js';
import { svgToPng } from './svg_png.js';

/** Thumbnails embedded in report.html; the rest of the misclassified list is in results.json. */
export const MAX_THUMBNAILS = 12;

/** matplotlib's default figure: 6.4 x 4.8 inches at 100 dpi. */
export const PNG_SIZE = { width: 640, height: 480 };

/**
 * results.json, report.html, plots/<approach>_{loss,acc}.png, plots/approaches_val_{acc,loss}.png
 * and history/<approach>.csv in `outDir`; their paths.
 */
export function writeReport(outDir: string, r: ChapterResults): string[] {
  const written: string[] = [];
  const put = (rel: string, data: string | Uint8Array): void => {
    const path = join(outDir, rel);
    writeFileAtomic(path, data);
    written.push(path);
  };
  put('results.json', `${JSON.stringify(r, null, 2)}\n`);
  const plotted = r.approaches.filter(hasHistory);
  for (const a of plotted) {
    for (const metric of ['loss', 'acc'] as const)
      put(`plots/${fileStem(a.name)}_${metric}.png`, approachPlot(a, metric));
    put(historyPath(a), historyCsv(a.history));
  }
  if (plotted.length > 1) {
    for (const metric of ['acc', 'loss'] as const)
      put(`plots/approaches_val_${metric}.png`, combinedPlot(plotted, metric));
  }
  put('report.html', renderReport(r, thumbnails(r)));
  return written;
}

export function hasHistory(a: ApproachResult): boolean {
  const h = a.history;
  return [h.loss, h.acc, h.val_loss, h.val_acc].some((v) => (v?.length ?? 0) > 0);
}

function approachPlot(a: ApproachResult, metric: 'loss' | 'acc'): Buffer {
  const word = metric === 'loss' ? 'loss' : 'accuracy';
  return svgToPng(
    plotCurvesSvg(curveSeries(a, metric), {
      ...PNG_SIZE,
      title: `${a.title}\nTraining and validation ${word}`,
      yLabel: metric === 'loss' ? 'Loss' : 'Accuracy',
    }),
  );
}

function combinedPlot(approaches: ApproachResult[], metric: 'loss' | 'acc'): Buffer {
  const word = metric === 'loss' ? 'loss' : 'accuracy';
  return svgToPng(
    plotCurvesSvg(combinedSeries(approaches, metric), {
      ...PNG_SIZE,
      title: `Validation ${word}, approaches side by side`,
      yLabel: `Validation ${word}`,
    }),
  );
}

function thumbnails(r: ChapterResults): Thumbnail[] {
  const list = r.test?.misclassified ?? [];
  return list.slice(0, MAX_THUMBNAILS).map((m) => ({ rel: m.rel, dataUri: thumbnailDataUri(m.file) }));
}
