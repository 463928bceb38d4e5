// The autograd op of every record of the elementwise op table (src/kernels/elementwise_table.ts):
// the raw kernel forward, and the record's derivative rule as the backward. The public ops in
// elementwise.ts are these under their API names; test/ops/elementwise.test.ts runs every record
// through here. (Not re-exported by src/index.ts: the table's names are not API.)
import { record } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';
import { sameShape, type Shape } from '../tensor/shape.js';
import { binaryRaw, unaryRaw } from '../kernels/elementwise.js';
import {
  BINARY_TABLE,
  UNARY_TABLE,
  type BinaryName,
  type GradKit,
  type UnaryName,
} from '../kernels/elementwise_table.js';
import { sumTo } from '../kernels/reduce.js';

/**
 * Runs a derivative rule on the raw launchers and frees what it made on the way; the result is
 * the caller's, or g itself (the autograd engine gives each consumer of g its own view).
 */
function runRule(rule: (k: GradKit) => Tensor): Tensor {
  const made: Tensor[] = [];
  const keep = (t: Tensor) => {
    made.push(t);
    return t;
  };
  const kit: GradKit = {
    unary: (op, x, alpha = 0) => keep(unaryRaw(op, x, alpha)),
    binary: (op, a, b) => keep(binaryRaw(op, a, b)),
  };
  const out = rule(kit);
  for (const t of made) if (t !== out) t.dispose();
  return out;
}

/** y = f(x) for the table's unary op; recorded with the op's derivative where it has one. */
export function unaryOp(op: UnaryName, x: Tensor, alpha = 0): Tensor {
  const y = unaryRaw(op, x, alpha);
  const grad = UNARY_TABLE[op].grad;
  if (!grad) return y;
  return record(y, op, [x], (g) => [runRule((k) => grad(k, g, x, y, alpha))]);
}

/** A gradient on the broadcast shape summed down to `shape`; frees the full one when it sums. */
function reduceTo(full: Tensor, shape: Shape, g: Tensor): Tensor {
  if (sameShape(full.shape, shape)) return full;
  const out = sumTo(full, shape);
  if (full !== g) full.dispose();
  return out;
}

/** y = g(a, b) with broadcasting for the table's binary op; recorded where it has a derivative. */
export function binaryOp(op: BinaryName, a: Tensor, b: Tensor): Tensor {
  const y = binaryRaw(op, a, b);
  const grad = BINARY_TABLE[op].grad;
  if (!grad) return y;
  return record(y, op, [a, b], (g, needs) => [
    needs[0]
      ? reduceTo(
          runRule((k) => grad.a(k, g, a, b, y)),
          a.shape,
          g,
        )
      : null,
    needs[1]
      ? reduceTo(
          runRule((k) => grad.b(k, g, a, b, y)),
          b.shape,
          g,
        )
      : null,
  ]);
}
