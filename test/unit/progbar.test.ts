// Keras 2.3.1's Progbar text (keras/utils/generic_utils.py): the bar, per-step time units, value
// formats with Python's rounding, the 0.05 s throttle, space padding, averaging, verbose 2 and an
// unknown target. Full fit() output is in test/nn/fit_output.test.ts.
import { expect, test } from 'vitest';
import {
  bar,
  closeOpenLine,
  formatValue,
  perUnit,
  Progbar,
  pyFixed,
  type ProgbarOptions,
} from '../../src/nn/progbar.js';

test('bar: right-aligned count, = then > while running, = when done, 30 wide', () => {
  expect(bar(2000, 2000)).toBe('2000/2000 [==============================]');
  expect(bar(20, 2000)).toBe('  20/2000 [..............................]');
  expect(bar(100, 2000)).toBe(' 100/2000 [>.............................]');
  expect(bar(1000, 2000)).toBe('1000/2000 [==============>...............]');
  expect(bar(7, 50)).toBe(' 7/50 [===>..........................]');
});

test('values: %.4f above 1e-3, else %.4e with a two-digit exponent; time per step units', () => {
  expect(formatValue(0.60481)).toBe('0.6048');
  expect(formatValue(0.0001234)).toBe('1.2340e-04');
  expect(formatValue(-2)).toBe('-2.0000');
  expect(formatValue(0)).toBe('0.0000e+00');
  expect(formatValue(NaN)).toBe('nan');
  expect([perUnit(2.4), perUnit(0.0501), perUnit(0.000501)]).toEqual(['2s/step', '50ms/step', '501us/step']);
});

test("Python's %f: exact ties go to the even digit, everything else as toFixed", () => {
  expect([pyFixed(0.5, 0), pyFixed(1.5, 0), pyFixed(2.5, 0), pyFixed(10.5, 0), pyFixed(-2.5, 0)]).toEqual([
    '0',
    '2',
    '2',
    '10',
    '-2',
  ]);
  expect([pyFixed(0.03125, 4), pyFixed(0.09375, 4), pyFixed(Math.LN2, 4)]).toEqual(['0.0312', '0.0938', '0.6931']);
  expect([pyFixed(2.5000001, 0), pyFixed(1.005, 2)]).toEqual(['3', '1.00']);
});

/** A Progbar on a scripted clock; returns its writes. */
function scripted(target: number | null, times: number[], o: Partial<ProgbarOptions> = {}) {
  const out: string[] = [];
  let i = 0;
  const p = new Progbar(target, { write: (s) => out.push(s), dynamic: false, now: () => times[i++], ...o });
  return { p, out };
}

test('a pipe gets a new line per draw; draws closer than 0.05 s are skipped until the target', () => {
  const { p, out } = scripted(4, [0, 1, 1.01, 1.02, 2]);
  p.update(1, [['loss', 0.5]]);
  p.update(2, [['loss', 0.5]]);
  p.update(3, [['loss', 0.5]]);
  p.update(4, [['loss', 1]]);
  expect(out).toEqual([
    '\n1/4 [======>.......................] - ETA: 3s - loss: 0.5000',
    '\n4/4 [==============================] - 2s 500ms/step - loss: 0.6250\n',
  ]);
});

test('values are averaged weighted by progress; stateful ones are shown as given', () => {
  const { p, out } = scripted(10, [0, 1, 2], { statefulMetrics: ['acc'] });
  p.update(4, [
    ['loss', 1],
    ['acc', 0.25],
  ]);
  p.update(10, [
    ['loss', 2],
    ['acc', 0.5],
  ]);
  expect(out[1]).toBe('\n10/10 [==============================] - 2s 200ms/step - loss: 1.6000 - acc: 0.5000\n');
});

test('a TTY draw backspaces over the last one; a shorter line is padded with spaces', () => {
  const { p, out } = scripted(100, [0, 50, 51, 60], { dynamic: true });
  p.update(10, [['loss', 0.5]]);
  p.update(90, [['loss', 0.5]]);
  p.update(100);
  const first = ' 10/100 [==>...........................] - ETA: 7:30 - loss: 0.5000';
  expect(out[0]).toBe(`\r${first}`);
  const second = ' 90/100 [==========================>...] - ETA: 5s - loss: 0.5000';
  expect(out[1]).toBe(`${'\b'.repeat(first.length)}\r${second}  `);
  expect(out[2]).toBe(`${'\b'.repeat(second.length)}\r100/100 [${'='.repeat(30)}] - 60s 600ms/step - loss: 0.5000\n`);
});

test('verbose 2 writes one line at the target; an unknown target never ends its line', () => {
  const v2 = scripted(4, [0, 1, 3], { verbose: 2 });
  v2.p.update(2, [['loss', 0.5]]);
  v2.p.update(4, [['loss', -0.5]]);
  expect(v2.out).toEqual([' - 3s - loss: 0.0000e+00\n']);
  const unknown = scripted(null, [0, 2]);
  unknown.p.update(5, [['loss', 0.5]]);
  expect(unknown.out).toEqual(['\n      5/Unknown - 2s 400ms/step - loss: 0.5000']);
});

test('closeOpenLine ends the line the last draw left open, once, on the bar that drew it', () => {
  const { p, out } = scripted(4, [0, 1, 2]);
  const other = scripted(2, [0, 1, 2]);
  other.p.update(2, [['loss', 1]]);
  p.update(1, [['loss', 0.5]]);
  expect(closeOpenLine()).toBe(true);
  expect(out.at(-1)).toBe('\n');
  expect(other.out.at(-1)?.endsWith('\n')).toBe(true);
  expect(other.out).toHaveLength(1);
  // Nothing open any more: nothing written.
  expect(closeOpenLine()).toBe(false);
  expect(out).toHaveLength(2);
  // A bar that reaches its target ends its own line.
  p.update(4, [['loss', 1]]);
  expect(closeOpenLine()).toBe(false);
});
