// Elementwise cases: every record of the op table (src/kernels/elementwise_table.ts), unary and
// binary, over block1's activation [batch, size, size, 64]; inputs from the record's domain,
// sampled outputs validated against its float64 map, flops from its count per element.
import { Tensor } from '../../src/tensor/tensor.js';
import { binaryRaw, unaryRaw } from '../../src/kernels/elementwise.js';
import {
  BINARY_TABLE,
  drawDomain,
  UNARY_TABLE,
  type BinaryName,
  type Domain,
  type UnaryName,
} from '../../src/kernels/elementwise_table.js';
import { Rng } from '../../src/tensor/random.js';
import type { BenchCase, CaseFactory } from '../harness.js';
import { sampledRun } from './validate.js';

/** Channels of block1's activation, the largest tensor an elementwise op meets in the chapter. */
const CHANNELS = 64;

function draw(d: Domain, n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return drawDomain(d, n, () => r.next());
}

/** A case timing `go`, validated at sampled cells against `want(i)`. */
function elementwiseCase(
  name: string,
  shape: number[],
  flops: number,
  bytes: number,
  go: () => Tensor,
  want: (i: number) => number,
  inputs: Tensor[],
  seed: number,
): BenchCase {
  return {
    name,
    group: 'elementwise',
    shape: `${shape.join('x')}`,
    flops,
    bytes,
    ...sampledRun(go, seed, (i) => {
      const value = want(i);
      return { value, absSum: Math.abs(value) };
    }),
    dispose: () => inputs.forEach((t) => t.dispose()),
  };
}

function unaryCase(op: UnaryName, shape: number[], seed: number): CaseFactory {
  const name = `unary/${op}`;
  return {
    name,
    make: () => {
      const rec = UNARY_TABLE[op];
      const n = shape.reduce((a, b) => a * b, 1);
      const xh = draw(rec.domain, n, seed);
      const x = Tensor.fromArray(Float32Array.from(xh), shape);
      const alpha = rec.alpha ?? 0;
      return elementwiseCase(
        name,
        shape,
        rec.flops * n,
        8 * n,
        () => unaryRaw(op, x, alpha),
        (i) => rec.ref(xh[i], alpha),
        [x],
        seed,
      );
    },
  };
}

function binaryCase(op: BinaryName, shape: number[], seed: number): CaseFactory {
  const name = `binary/${op}`;
  return {
    name,
    make: () => {
      const rec = BINARY_TABLE[op];
      const n = shape.reduce((a, b) => a * b, 1);
      const [ah, bh] = [draw(rec.domain.a, n, seed), draw(rec.domain.b, n, seed + 1)];
      const [a, b] = [ah, bh].map((h) => Tensor.fromArray(Float32Array.from(h), shape));
      return elementwiseCase(
        name,
        shape,
        rec.flops * n,
        12 * n,
        () => binaryRaw(op, a, b),
        (i) => rec.ref(ah[i], bh[i]),
        [a, b],
        seed,
      );
    },
  };
}

/** One case per record of the op table, same-shape operands. */
export function elementwiseCases(batch: number, size: number, seed: number): CaseFactory[] {
  const shape = [batch, size, size, CHANNELS];
  return [
    ...(Object.keys(UNARY_TABLE) as UnaryName[]).map((op, i) => unaryCase(op, shape, seed + i)),
    ...(Object.keys(BINARY_TABLE) as BinaryName[]).map((op, i) => binaryCase(op, shape, seed + 100 + i)),
  ];
}
