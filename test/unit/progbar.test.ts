// Keras 2.3's progress bar text: the bar, per-step time units, value formats, TTY redraws.
import { expect, test } from 'vitest';
import { bar, formatValue, perUnit, Progbar } from '../../src/nn/progbar.js';

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
  expect([perUnit(2.4), perUnit(0.0501), perUnit(0.000501)]).toEqual(['2s/step', '50ms/step', '501us/step']);
});

test('on a TTY the line is redrawn with \\r and an ETA; off a TTY only the finished line is written', () => {
  const tty: string[] = [];
  const p = new Progbar(4, (s) => tty.push(s), true);
  p.update(1, [['loss', 0.5]]);
  const line = p.finish([['loss', 0.25], ['acc', 0.75]]);
  expect(tty[0]).toMatch(/^\r1\/4 \[======>\.+\] - ETA: \d+s - loss: 0\.5000\x1b\[K$/);
  expect(line).toMatch(/^4\/4 \[=+\] - \d+s \d+(us|ms|s)\/step - loss: 0\.2500 - acc: 0\.7500$/);
  const plain: string[] = [];
  const q = new Progbar(4, (s) => plain.push(s), false);
  q.update(2, [['loss', 1]]);
  q.finish([['loss', 1]]);
  expect(plain).toHaveLength(1);
  expect(plain[0].endsWith('\n')).toBe(true);
});
