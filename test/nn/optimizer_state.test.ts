// Optimizer state in Keras's optimizer_weights layout (src/nn/optimizers/keras_state.ts), on the
// host only: the names and order Keras 2.3.1 writes, and every layout read back (Keras 2.3 names
// with and without TF1's `_1`, Keras 2.2's unnamed slots, dawnflow's older files), with clear
// refusals for state that does not fit.
import { describe, expect, test } from 'vitest';
import { kerasState, restoreState, type SlotWeight, type StateLayout } from '../../src/nn/optimizers/keras_state.js';

const ADAM: StateLayout = { className: 'Adam', slots: ['m', 'v'], placeholders: ['vhat'], suffix: '_1' };
const RMSPROP: StateLayout = { className: 'RMSprop', slots: ['accumulator'], placeholders: [], suffix: '' };
const SHAPES = [[3, 2], [2]];

/** Distinct values per slot kind and variable, so that a mix-up shows. */
const values = (kinds: number) =>
  Array.from({ length: kinds }, (_, k) =>
    SHAPES.map((s, i) => Float32Array.from({ length: s[0] * (s[1] ?? 1) }, (_, j) => 100 * k + 10 * i + j)),
  );

const weight = (name: string, shape: number[], data: Float32Array): SlotWeight => ({ name, shape, data });
const renamed = (ws: SlotWeight[], name: (w: SlotWeight, i: number) => string) =>
  ws.map((w, i) => ({ ...w, name: name(w, i) }));

describe('Keras optimizer_weights', () => {
  test('Adam is written as Keras 2.3.1 writes it: int64 iterations, m, v, then 1-element vhat', () => {
    const out = kerasState(ADAM, 7, values(2), SHAPES);
    expect(out.map((w) => w.name)).toEqual([
      'Adam/iterations:0',
      'training/Adam/m_0_1:0',
      'training/Adam/m_1_1:0',
      'training/Adam/v_0_1:0',
      'training/Adam/v_1_1:0',
      'training/Adam/vhat_0_1:0',
      'training/Adam/vhat_1_1:0',
    ]);
    expect(out.map((w) => w.shape)).toEqual([[], [3, 2], [2], [3, 2], [2], [1], [1]]);
    expect([out[0].dtype, Array.from(out[0].integers!)]).toEqual(['int64', [7]]);
    expect(Array.from(out[5].data)).toEqual([0]);
    const back = restoreState(ADAM, out, SHAPES, 'f.h5');
    expect(back).toEqual({ iterations: 7, slots: values(2) });
  });

  test('RMSprop as in the keras231-model-save fixture: iterations, then accumulator_i', () => {
    const out = kerasState(RMSPROP, 48, values(1), SHAPES);
    expect(out.map((w) => w.name)).toEqual([
      'RMSprop/iterations:0',
      'training/RMSprop/accumulator_0:0',
      'training/RMSprop/accumulator_1:0',
    ]);
    expect(restoreState(RMSPROP, out, SHAPES, 'f.h5')).toEqual({ iterations: 48, slots: values(1) });
  });

  test('Keras names are read with or without training/ and the TF1 _1, in any order', () => {
    const out = kerasState(ADAM, 3, values(2), SHAPES);
    const plain = renamed(out, (w) => w.name.replace(/_1:0$/, ':0').replace(/^Adam/, 'training/Adam'));
    expect(restoreState(ADAM, plain, SHAPES, 'f.h5')).toEqual({ iterations: 3, slots: values(2) });
    const shuffled = [out[4], out[6], out[0], out[2], out[1], out[5], out[3]];
    expect(restoreState(ADAM, shuffled, SHAPES, 'f.h5')).toEqual({ iterations: 3, slots: values(2) });
  });

  test("dawnflow's older files (float32 iterations, no vhat) still restore", () => {
    const [m, v] = values(2);
    const old = [
      weight('training/Adam/iterations:0', [], Float32Array.of(12)),
      ...m.map((d, i) => weight(`training/Adam/m_${i}:0`, SHAPES[i], d)),
      ...v.map((d, i) => weight(`training/Adam/v_${i}:0`, SHAPES[i], d)),
    ];
    expect(restoreState(ADAM, old, SHAPES, 'f.h5')).toEqual({ iterations: 12, slots: [m, v] });
  });

  test("Keras 2.2's unnamed slots go by position; its RMSprop saved no iterations", () => {
    const out = kerasState(ADAM, 5, values(2), SHAPES);
    const unnamed = renamed(out, (w, i) => (i === 0 ? w.name : `training/Adam/Variable_${i}:0`));
    expect(restoreState(ADAM, unnamed, SHAPES, 'f.h5')).toEqual({ iterations: 5, slots: values(2) });
    const saved = kerasState(RMSPROP, 9, values(1), SHAPES).slice(1);
    const acc = renamed(saved, (_, i) => `training/RMSprop/Variable_${i}:0`);
    expect(restoreState(RMSPROP, acc, SHAPES, 'f.h5')).toEqual({ iterations: 0, slots: values(1) });
  });

  test('iterations past 2^24 stay exact through the int64 values', () => {
    const big = 2 ** 40 + 3;
    const out = kerasState(RMSPROP, big, values(1), SHAPES);
    expect(Math.fround(big)).not.toBe(big);
    expect(restoreState(RMSPROP, out, SHAPES, 'f.h5').iterations).toBe(big);
  });

  test('state that does not fit is refused in one line naming the file', () => {
    const adam = kerasState(ADAM, 2, values(2), SHAPES);
    const fail =
      (ws: SlotWeight[], l = ADAM, shapes = SHAPES) =>
      () =>
        restoreState(l, ws, shapes, 'f.h5');
    expect(fail(adam, RMSPROP)).toThrow(
      /^dawnflow: f.h5: optimizer weight Adam\/iterations:0 is Adam state, the optimizer is RMSprop$/,
    );
    expect(fail(adam, ADAM, [[3, 2], [3]])).toThrow(/weight training\/Adam\/m_1_1:0 is \[2\], variable 1 is \[3\]/);
    expect(fail(adam, ADAM, [[3, 2]])).toThrow(/training\/Adam\/m_1_1:0 does not fit 1 trained variables/);
    const noV1 = adam.filter((w) => w.name !== 'training/Adam/v_1_1:0');
    expect(fail(noV1)).toThrow(/holds v for 1 variables, the model trains 2/);
    expect(fail([...adam, { ...adam[0] }])).toThrow(/holds iterations twice/);
    const odd = renamed(adam, (w, i) => (i === 1 ? 'training/Adam/u_0_1:0' : w.name));
    expect(fail(odd)).toThrow(/is not a Adam slot \(m, v, vhat\)/);
    const half = { ...adam[0], integers: Float64Array.of(2.5), data: Float32Array.of(2.5) };
    expect(fail([half, ...adam.slice(1)])).toThrow(/should be one whole step count, holds 1 values \(2.5\)/);
    const unnamed = renamed(adam, (_, i) => `p${i}`).slice(1);
    expect(fail(unnamed)).toThrow(/6 optimizer weights, Adam over 2 variables needs 7, 5 or 4/);
  });
});
