// Reverse-mode autograd on a tape of GradNodes. Ops call record() with a backward closure; the
// closure gets the output gradient and which inputs need one (so frozen weights cost nothing).
// backward() walks the graph once in reverse topological order, accumulates gradients of
// tensors used twice, stores leaf gradients in `.grad`, and frees the graph and intermediate
// gradients as it goes.
import { Tensor, type BackwardFn } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { binaryRaw } from '../kernels/elementwise.js';
import { fmt, sameShape } from '../tensor/shape.js';
import { captureScope, inPhase, inScope } from '../gpu/profile_scope.js';

let enabled = true;

/** Tensors whose node a backward pass consumed: meeting one again means a second pass. */
const consumed = new WeakSet<Tensor>();

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn without recording a graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Marks `out` as produced by `op` from `inputs` when any input needs a gradient. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: BackwardFn): Tensor {
  if (!enabled || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = { op, inputs, backward, scope: captureScope() };
  return out;
}

/** Tensors reachable from root through recorded nodes, inputs before the tensors they make. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>([root]);
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top[0].node?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/** Back-propagates from a scalar `loss` (or from `loss` with an explicit `grad`). */
export function backward(loss: Tensor, grad?: Tensor): void {
  if (!loss.requiresGrad) throw new Error('dawnflow: backward() on a tensor that needs no gradient');
  if (!grad && loss.size !== 1) {
    throw new Error(`dawnflow: backward() needs a scalar loss, got ${fmt(loss.shape)}; pass a gradient`);
  }
  // Without this check a freed op output looks like a leaf and silently receives a .grad.
  const order = topoOrder(loss);
  if (order.some((t) => !t.node && consumed.has(t))) {
    throw new Error('dawnflow: backward() through a graph that a previous backward() already freed');
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, grad ? grad.view() : Tensor.fromArray(new Float32Array(loss.size).fill(1), loss.shape));
  noGrad(() =>
    inPhase('backward', () => {
      for (const t of order.reverse()) {
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        if (t.node) inScope(t.node.scope, 'backward', () => propagate(t, g, grads));
        else storeLeafGrad(t, g);
      }
    }),
  );
}

function propagate(t: Tensor, g: Tensor, grads: Map<Tensor, Tensor>): void {
  const node = t.node!;
  t.node = null;
  consumed.add(t);
  const needs = node.inputs.map((i) => i.requiresGrad);
  const out = node.backward(g, needs);
  const owned = new Set<Tensor>();
  node.inputs.forEach((input, i) => {
    let gi = out[i];
    if (!gi || !needs[i]) return;
    if (!sameShape(gi.shape, input.shape)) {
      throw new Error(`dawnflow: ${node.op} backward gave ${fmt(gi.shape)} for input ${fmt(input.shape)}`);
    }
    // A backward may hand the same tensor to several inputs (or pass g through): give each
    // consumer its own handle so disposing one never frees another's storage.
    if (gi === g || owned.has(gi)) gi = gi.view();
    owned.add(gi);
    accumulate(grads, input, gi);
  });
  for (const gi of out) if (gi && !owned.has(gi) && gi !== g) gi.dispose();
  g.dispose();
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  if (!prev) {
    grads.set(t, g);
    return;
  }
  grads.set(t, binaryRaw('add', prev, g));
  prev.dispose();
  g.dispose();
}

function storeLeafGrad(t: Tensor, g: Tensor): void {
  if (!t.grad) {
    t.grad = keep(g);
    return;
  }
  const sum = keep(binaryRaw('add', t.grad, g));
  t.grad.dispose();
  g.dispose();
  t.grad = sum;
}
