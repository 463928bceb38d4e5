// The autograd engine on the GPU: gradient accumulation for tensors used twice and diamond
// graphs, noGrad, the scalar rule, the graph being freed by backward() (and a second pass over
// it rejected), leaf .grad accumulating across passes, and constants getting no gradient.
import { describe, expect, test } from 'vitest';
import { backward, isGradEnabled, noGrad } from '../../src/autograd/tape.js';
import { add, exp, mul, mulScalar, sigmoid, square } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { expectClose } from '../helpers/allclose.js';
import { useGpu } from '../helpers/gpu.js';
import { randomPair, read64 } from '../helpers/tensors.js';

useGpu();

const TOL = { atol: 1e-6, rtol: 1e-5 };

describe('gradient accumulation', () => {
  test('x used twice: y = x*x + x gives dy/dx = 2x + 1', async () => {
    const x = randomPair([37]);
    x.t.requiresGrad = true;
    backward(sum(add(mul(x.t, x.t), x.t)));
    expectClose(
      await read64(x.t.grad!),
      x.host.map((v) => 2 * v + 1),
      { ...TOL, label: `seed ${x.seed}` },
    );
  });

  test('diamond: h = exp(x), L = sum(h^2 + 3h) gives (2h + 3) h', async () => {
    const x = randomPair([5, 7]);
    x.t.requiresGrad = true;
    const h = exp(x.t);
    const loss = sum(add(square(h), mulScalar(h, 3)));
    backward(loss);
    const want = x.host.map((v) => (2 * Math.exp(v) + 3) * Math.exp(v));
    expectClose(await read64(x.t.grad!), want, { ...TOL, label: `seed ${x.seed}` });
    // Intermediates are not leaves: they keep no gradient.
    expect(h.grad).toBeNull();
  });

  test('two leaves through a shared product: L = sum(a*b * sigmoid(a*b))', async () => {
    const a = randomPair([9]);
    const b = randomPair([9]);
    a.t.requiresGrad = true;
    b.t.requiresGrad = true;
    const ab = mul(a.t, b.t);
    backward(sum(mul(ab, sigmoid(ab))));
    // d/du [u s(u)] = s + u s (1 - s), times b for a and a for b.
    const d = a.host.map((v, i) => {
      const u = v * b.host[i];
      const s = 1 / (1 + Math.exp(-u));
      return s + u * s * (1 - s);
    });
    const label = `seeds ${a.seed},${b.seed}`;
    expectClose(
      await read64(a.t.grad!),
      d.map((v, i) => v * b.host[i]),
      { ...TOL, label: `${label} da` },
    );
    expectClose(
      await read64(b.t.grad!),
      d.map((v, i) => v * a.host[i]),
      { ...TOL, label: `${label} db` },
    );
  });

  test('leaf .grad accumulates over two backward passes', async () => {
    const x = randomPair([37]);
    x.t.requiresGrad = true;
    backward(sum(mulScalar(x.t, 2)));
    backward(sum(square(x.t)));
    expectClose(
      await read64(x.t.grad!),
      x.host.map((v) => 2 + 2 * v),
      { ...TOL, label: `seed ${x.seed}` },
    );
  });

  test('inputs without requiresGrad get no gradient', async () => {
    const x = randomPair([4]);
    const c = randomPair([4]);
    x.t.requiresGrad = true;
    backward(sum(mul(x.t, c.t)));
    expect(c.t.grad).toBeNull();
    expectClose(await read64(x.t.grad!), c.host, { ...TOL, label: `seeds ${x.seed},${c.seed}` });
  });

  test('an explicit output gradient for a non-scalar root', async () => {
    const x = randomPair([2, 3]);
    const g = randomPair([2, 3]);
    x.t.requiresGrad = true;
    backward(square(x.t), g.t);
    const want = x.host.map((v, i) => 2 * v * g.host[i]);
    expectClose(await read64(x.t.grad!), want, { ...TOL, label: `seeds ${x.seed},${g.seed}` });
    // The caller's gradient tensor is not consumed.
    expect(g.t.disposed).toBe(false);
  });
});

describe('graph recording and freeing', () => {
  test('noGrad records nothing and restores the flag, even on a throw', () => {
    const x = randomPair([3]).t;
    x.requiresGrad = true;
    const out = noGrad(() => mul(x, x));
    expect(out.requiresGrad).toBe(false);
    expect(out.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() =>
      noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    const rec = mul(x, x);
    expect(rec.requiresGrad).toBe(true);
    expect(rec.node?.op).toBe('mul');
  });

  test('backward on a non-scalar without a gradient, or on a constant, throws', () => {
    const x = randomPair([2, 3]).t;
    x.requiresGrad = true;
    expect(() => backward(square(x))).toThrow(/needs a scalar loss, got \[2, 3\]/);
    const c = randomPair([1]).t;
    expect(() => backward(sum(c))).toThrow(/needs no gradient/);
  });

  test('backward frees the graph; a second backward over it is rejected', async () => {
    const x = randomPair([5]);
    x.t.requiresGrad = true;
    const y = square(x.t);
    const loss = sum(y);
    backward(loss);
    expect(loss.node).toBeNull();
    expect(y.node).toBeNull();
    expect(loss.grad).toBeNull();
    expect(() => backward(loss)).toThrow(/already freed/);
    // A new graph built on a freed intermediate is rejected too (it would see y as a leaf).
    expect(() => backward(sum(mulScalar(y, 2)))).toThrow(/already freed/);
    // Neither attempt touched the leaf gradient.
    expectClose(
      await read64(x.t.grad!),
      x.host.map((v) => 2 * v),
      { ...TOL, label: `seed ${x.seed}` },
    );
    expect(y.grad).toBeNull();
  });
});
