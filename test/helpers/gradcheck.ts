// Finite-difference gradients, the proof that each analytic backward matches its forward.

// Central differences in float64: g[i] = (f(x + h e_i) - f(x - h e_i)) / (2h). The truncation
// error is O(h^2 f'''), the rounding error O(eps |f| / h); h = 1e-6 balances them near 1e-10.
// x is perturbed in a private copy, so f may keep or mutate what it is given at no risk.
export function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const xx = Float64Array.from(x);
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    xx[i] = x[i] + h;
    const up = f(xx);
    xx[i] = x[i] - h;
    const down = f(xx);
    xx[i] = x[i];
    g[i] = (up - down) / (2 * h);
  }
  return g;
}
