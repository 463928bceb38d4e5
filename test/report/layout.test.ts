// The report's pieces that need no files: the plot layout keeping the y-axis label clear of the
// tick labels, the Keras CSVLogger text of a known history, and the misclassified images ordered
// by how confident the mistake was.
import { describe, expect, test } from 'vitest';
import { byConfidence } from '../../src/apps/chapter_test.js';
import { project, yScale, type PlotSeries } from '../../src/report/axes.js';
import { historyCsv, pythonFloat } from '../../src/report/history_csv.js';
import { overlaps, plotLayout, textWidth, yTextBoxes } from '../../src/report/plot_layout.js';

const BLUE: [number, number, number] = [31, 119, 180];

describe('plot layout', () => {
  const cases: number[][] = [
    [0.5, 0.9],
    [0.0001, 0.0009],
    [1200, 98000],
    [-0.25, 0.25],
    [1, 1],
    [1e-6, 3e-6],
  ];
  test.each(cases)('tick labels and the y label never overlap (%s .. %s)', (lo, hi) => {
    const series: PlotSeries[] = [{ label: 'x', values: [lo, (lo + hi) / 2, hi], color: BLUE }];
    const ys = yScale(series);
    for (const [w, h] of [
      [480, 300],
      [640, 480],
      [320, 240],
    ]) {
      const l = plotLayout(ys, 2, w, h);
      const boxes = yTextBoxes(l, ys, 'Validation accuracy', (v) => project(v, ys, l.frame.bottom, l.frame.top));
      const [label, ...ticks] = boxes;
      for (const t of ticks) {
        expect(overlaps(label, t)).toBe(false);
        expect(t.x).toBeGreaterThanOrEqual(0);
        expect(t.x + t.w).toBeLessThan(l.frame.left);
      }
      expect(label.x).toBeGreaterThanOrEqual(0);
    }
  });

  test('a wider tick label moves the frame right', () => {
    const frameLeft = (values: number[]): number => {
      const ys = yScale([{ label: 'x', values, color: BLUE }]);
      return plotLayout(ys, 1, 480, 300).frame.left;
    };
    expect(frameLeft([0.0001, 0.0009])).toBeGreaterThan(frameLeft([0.5, 0.9]));
    expect(textWidth('0.0005')).toBeGreaterThan(textWidth('0.5'));
  });
});

describe('history.csv', () => {
  test('matches Keras 2.3.1 CSVLogger for a known history', () => {
    const csv = historyCsv({
      loss: [0.6604735851287842, 0.5],
      acc: [0.6015, 1],
      val_loss: [0.00001, 2.5e-10],
      val_acc: [0.713, NaN],
    });
    expect(csv).toBe(
      'epoch,acc,loss,val_acc,val_loss\r\n' +
        '0,0.6015,0.6604735851287842,0.713,1e-05\r\n' +
        '1,1.0,0.5,nan,2.5e-10\r\n',
    );
  });

  test('JSON nulls are NaN, a missing epoch is NA', () => {
    const h = { loss: [0.5, 0.4], acc: [0.5, 0.6], val_loss: [null as unknown as number], val_acc: [] };
    expect(historyCsv(h).split('\r\n')[1]).toBe('0,0.5,0.5,NA,nan');
    expect(historyCsv(h).split('\r\n')[2]).toBe('1,0.6,0.4,NA,NA');
  });

  test('floats as Python prints them', () => {
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [3, '3.0'],
      [0.0001, '0.0001'],
      [0.00012, '0.00012'],
      [1e-5, '1e-05'],
      [1.5e16, '1.5e+16'],
      [1e15, '1000000000000000.0'],
      [-0.25, '-0.25'],
      [0, '0.0'],
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      [1.2345678e-7, '1.2345678e-07'],
      [1e100, '1e+100'],
    ];
    for (const [v, text] of cases) expect(pythonFloat(v)).toBe(text);
  });
});

describe('misclassified order', () => {
  test('the most confident mistakes first', () => {
    const list = [0.45, 0.03, 0.7, 0.99, 0.58, 0.2].map((p) => ({ p }));
    expect(list.sort(byConfidence).map((m) => m.p)).toEqual([0.99, 0.03, 0.2, 0.7, 0.58, 0.45]);
  });
});
