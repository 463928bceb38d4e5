// Writes a chapter run's report directory: results.json, report.html and PNG plots. Each file
// is written to a temporary name and renamed, so a reader (or a second run rewriting the report
// after every epoch) never sees half a file.
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic_write.js';
import { curveSeries, renderReport, thumbnailDataUri, type Thumbnail } from './html.js';
import { plotCurvesPng } from './plot_png.js';
import type { ApproachResult, ChapterResults } from './results.js';

/** Thumbnails embedded in report.html; the rest of the misclassified list is in results.json. */
export const MAX_THUMBNAILS = 12;

/** results.json, plots/<approach>_{loss,acc}.png and report.html in `outDir`; their paths. */
export function writeReport(outDir: string, r: ChapterResults): string[] {
  const written: string[] = [];
  const put = (rel: string, data: string | Uint8Array): void => {
    const path = join(outDir, rel);
    writeFileAtomic(path, data);
    written.push(path);
  };
  put('results.json', `${JSON.stringify(r, null, 2)}\n`);
  for (const a of r.approaches.filter(hasHistory)) {
    for (const metric of ['loss', 'acc'] as const) {
      put(`plots/${fileStem(a.name)}_${metric}.png`, approachPlot(a, metric));
    }
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
  return plotCurvesPng(curveSeries(a, metric), {
    title: `${a.title}\nTraining and validation ${word}`,
    yLabel: metric === 'loss' ? 'Loss' : 'Accuracy',
  });
}

function thumbnails(r: ChapterResults): Thumbnail[] {
  const list = r.test?.misclassified ?? [];
  return list.slice(0, MAX_THUMBNAILS)
    .map((m) => ({ rel: m.rel, dataUri: thumbnailDataUri(m.file) }));
}

// Approach names are a fixed set today; the guard keeps a future name from leaving plots/.
function fileStem(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
