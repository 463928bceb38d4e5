// The chapter report: writeReport's files, results.json round-tripping, an HTML page with no
// scripts and every outside string escaped, inline SVG per plotted approach and the approaches
// compared, thumbnails that survive missing files, PNG plots (rendered by resvg) of matplotlib's
// size that are not blank, and axis labels clear of tick labels. CPU only.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, test } from 'vitest';
import { xScale, yScale } from '../../src/report/axes.js';
import { escapeHtml } from '../../src/report/escape.js';
import { placeholderDataUri, renderReport, reportNotes, thumbnailDataUri } from '../../src/report/html.js';
import { plotCurvesSvg } from '../../src/report/plot_svg.js';
import { svgToPng } from '../../src/report/svg_png.js';
import type { ChapterResults } from '../../src/report/results.js';
import { writeReport } from '../../src/report/write.js';

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A data directory whose name would run a script if it reached the page unescaped.
const EVIL = 'data <script>alert("x")</script> & co\'s';
const BLUE: [number, number, number] = [31, 119, 180];

function writePng(path: string, width: number, height: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      png.data.set([(x * 255) / width, (y * 255) / height, 128, 255], (y * width + x) * 4);
    }
  }
  writeFileSync(path, PNG.sync.write(png));
}

function curve(n: number, from: number, to: number): number[] {
  return Array.from({ length: n }, (_, i) => from + ((to - from) * (i + 1)) / n);
}

function sample(): ChapterResults {
  const data = join(dir, EVIL);
  const cat = join(data, 'test', 'cats', 'cat.1503.png');
  const dog = join(data, 'test', 'dogs', 'dog.1001.png');
  writePng(cat, 40, 30);
  writePng(dog, 24, 24);
  return {
    version: 1,
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:42:30.000Z',
    command: `dawnflow chapter --data '${data}' --quick`,
    adapter: {
      vendor: 'nvidia',
      architecture: 'hopper',
      device: 'H200',
      description: 'D3D<12>',
      software: false,
    },
    data: { dir: data, synthetic: true, counts: { train: 2000, validation: 1000, test: 1000 } },
    weights: { file: null, random: true },
    quick: true,
    summaries: {
      base: 'Model: "vgg16"\n<script>alert(1)</script>\nTotal params: 14,714,688',
      model: 'Model: "sequential"',
    },
    approaches: [
      {
        name: 'feature-extraction',
        title: 'Approach 1: feature extraction (RMSprop 2e-5)',
        hyper: { epochs: 5, batch: 20, steps: 100, lr: 2e-5, optimizer: 'RMSprop' },
        history: {
          loss: curve(5, 0.6, 0.2),
          acc: curve(5, 0.7, 0.95),
          val_loss: curve(5, 0.5, 0.25),
          val_acc: curve(5, 0.8, 0.9),
        },
        epochSeconds: [1.5, 1.2, 1.1, 1.2, 1.1],
        imagesPerSec: 1800,
        featureSeconds: 42.5,
        status: 'done',
      },
      {
        name: 'transfer',
        title: 'Approach 2: frozen base + augmentation',
        resumedFromEpoch: 0,
        hyper: { epochs: 30, batch: 20, lr: 2e-5, augment: true, targetSize: '150x150' },
        history: { loss: [0.69], acc: [0.55], val_loss: [0.6], val_acc: [0.62] },
        epochSeconds: [61.2],
        imagesPerSec: 32.7,
        status: 'running',
      },
      {
        name: 'fine-tune',
        title: 'Approach 3: fine-tuning from block5_conv1',
        hyper: { epochs: 100, lr: 1e-5 },
        history: { loss: [], acc: [], val_loss: [], val_acc: [] },
        epochSeconds: [],
        status: 'pending',
      },
    ],
    test: {
      acc: 0.875,
      loss: 0.3125,
      misclassified: [
        { file: cat, rel: 'test/cats/cat.1503.png', label: 0, p: 0.91 },
        { file: dog, rel: 'test/dogs/dog.1001.png', label: 1, p: 0.12 },
        { file: join(data, 'test/dogs/gone.jpg'), rel: 'test/dogs/gone.jpg', label: 1, p: 0.3 },
      ],
    },
    pipeline: { decodeCold: 412.5, cached: 2950 },
    notes: ['random weights: this is not transfer learning', 'quick preset: 5 epochs instead of 30'],
  };
}

function colours(png: PNG): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) {
    out.add((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]);
  }
  return out;
}

describe('writeReport', () => {
  const r = sample();
  const out = join(dir, 'run');
  const files = writeReport(out, r);
  const html = readFileSync(join(out, 'report.html'), 'utf8');

  test('writes results.json, report.html, plots, the approaches compared and CSV histories', () => {
    const names = files.map((f) => f.slice(out.length + 1)).sort();
    expect(names).toEqual([
      'history/feature-extraction.csv',
      'history/transfer.csv',
      'plots/approaches_val_acc.png',
      'plots/approaches_val_loss.png',
      'plots/feature-extraction_acc.png',
      'plots/feature-extraction_loss.png',
      'plots/transfer_acc.png',
      'plots/transfer_loss.png',
      'report.html',
      'results.json',
    ]);
    for (const f of files) expect(existsSync(f)).toBe(true);
    // Atomic writes leave no temporaries behind.
    const all = [...readdirSync(out), ...readdirSync(join(out, 'plots'))];
    expect(all.filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  test('results.json round-trips', () => {
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(r);
  });

  test('no scripts, paths and summaries escaped, nothing loaded from outside', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(escapeHtml(EVIL));
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<link|@import|url\(/i);
    for (const m of html.matchAll(/\ssrc="([^"]*)"/g)) expect(m[1]).toMatch(/^data:image\//);
    const urls = [...html.matchAll(/https?:\/\/[^\s"']+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  test('the header and the notes name the preset the run used', () => {
    const demo = { ...sample(), notes: [], preset: { name: 'demo', changes: [] } };
    const header = renderReport(demo, []).split('</header>')[0];
    expect(header).toContain('demo preset</span>');
    expect(reportNotes(demo)).toContain('demo preset: fewer epochs and steps than the book');
    expect(reportNotes(demo).join(' ')).not.toContain('quick');
  });

  test('notes, test accuracy, two SVG plots per approach with history, and the comparison', () => {
    expect(html).toContain('random weights: this is not transfer learning');
    expect(html).toContain('quick preset: 5 epochs instead of 30');
    expect(html).toContain('87.5%');
    expect(html.match(/<svg/g)?.length).toBe(6);
    expect(html).toContain('The approaches compared');
    expect(html).toContain('href="history/transfer.csv"');
    expect(html).toContain('Not run yet');
    expect(html).toContain('2e-5');
  });

  test('thumbnails for readable images, a placeholder for the missing one', () => {
    expect(html.match(/<img /g)?.length).toBe(2);
    expect(html).toContain('image unreadable');
    expect(html).toContain('cat.1503.png');
    expect(html).toContain('true: cats (0)');
  });

  test('PNG plots are real PNGs at 640x480, not blank', () => {
    for (const f of files.filter((p) => p.endsWith('.png'))) {
      const bytes = readFileSync(f);
      expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const png = PNG.sync.read(bytes);
      expect([png.width, png.height]).toEqual([640, 480]);
      const c = colours(png);
      expect(c.size).toBeGreaterThanOrEqual(4);
      expect(c.has((BLUE[0] << 16) | (BLUE[1] << 8) | BLUE[2])).toBe(true);
    }
  });
});

describe('the PNG renderer', () => {
  const label = (i: number): string => (i ? 'Validation acc' : 'Training acc');
  const plot = (values: number[][], width = 640, height = 480): PNG =>
    PNG.sync.read(
      svgToPng(
        plotCurvesSvg(
          values.map((v, i) => ({ label: label(i), values: v, color: BLUE })),
          { title: 'Training and validation accuracy', yLabel: 'Accuracy', width, height },
        ),
      ),
    );
  const count = (png: PNG, rgb: number): number => {
    let n = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (((png.data[i] << 16) | (png.data[i + 1] << 8) | png.data[i + 2]) === rgb) n++;
    }
    return n;
  };

  test('one epoch, NaN, constant and empty series draw at the requested size', () => {
    for (const values of [
      [[0.5], [0.6]],
      [
        [NaN, 0.3, NaN, 0.5],
        [0.2, NaN, 0.4, 0.45],
      ],
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
      [[NaN, NaN], []],
      [[], []],
    ]) {
      const png = plot(values, 320, 240);
      expect([png.width, png.height]).toEqual([320, 240]);
      expect(colours(png).size).toBeGreaterThanOrEqual(3);
    }
  });

  test('a single point and a lone validation value are both drawn in the series colour', () => {
    const blue = (BLUE[0] << 16) | (BLUE[1] << 8) | BLUE[2];
    // The legend alone draws some blue; the data must add more.
    expect(count(plot([[0.5], []]), blue)).toBeGreaterThan(count(plot([[], []]), blue));
    expect(count(plot([[], [0.5]]), blue)).toBeGreaterThan(count(plot([[], []]), blue));
  });

  test('text is drawn: a longer title darkens more pixels', () => {
    const titled = (title: string): number => {
      const png = PNG.sync.read(svgToPng(plotCurvesSvg([], { title, yLabel: '', width: 320, height: 240 })));
      let dark = 0;
      for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 128) dark++;
      return dark;
    };
    expect(titled('Training and validation accuracy')).toBeGreaterThan(titled('') + 200);
  });
});

describe('scales and thumbnails', () => {
  test('a constant series gets a range around it; one epoch gets a tick at 1', () => {
    const s = [{ label: 'Training acc', values: [1, 1], color: BLUE }];
    const y = yScale(s);
    expect(y.min).toBeLessThan(1);
    expect(y.max).toBeGreaterThan(1);
    expect(y.ticks.length).toBeGreaterThanOrEqual(2);
    expect(xScale([{ label: 'x', values: [0.3], color: BLUE }]).ticks).toEqual([1]);
    const thirty = xScale([{ label: 'x', values: curve(30, 0, 1), color: BLUE }]);
    expect(thirty.ticks).toEqual([5, 10, 15, 20, 25, 30]);
  });

  test('thumbnailDataUri fits the image into the box and never throws', () => {
    const path = join(dir, 'wide.png');
    writePng(path, 40, 20);
    const uri = thumbnailDataUri(path, 64);
    const png = PNG.sync.read(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
    expect([png.width, png.height]).toEqual([64, 32]);
    writeFileSync(join(dir, 'junk.jpg'), 'not an image');
    expect(thumbnailDataUri(join(dir, 'junk.jpg'))).toBe(placeholderDataUri());
    expect(thumbnailDataUri(join(dir, 'missing.png'))).toBe(placeholderDataUri());
  });

  test('escapeHtml covers &<>"\'; notes, rel and non-image data URIs are neutralised', () => {
    expect(escapeHtml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    const r = sample();
    r.notes = ['<b>bold</b>'];
    const m = { file: '/x', rel: 'test/<i>/a.png', label: 0, p: 0.7 };
    r.test = { acc: 0.5, loss: 1, misclassified: [m] };
    const html = renderReport(r, [{ rel: 'test/<i>/a.png', dataUri: 'javascript:alert(1)' }]);
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('javascript:');
  });
});
