// Seeded initialisers (Keras names and formulas). Values are drawn on the CPU from a seeded Rng
// and uploaded once, so a seed gives the same weights on every adapter.
import { type Rng, globalRng } from './random.js';
import { sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

function draw(shape: Shape, rng: Rng, f: (r: Rng) => number): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(rng);
  return Tensor.fromArray(data, shape);
}

export function randomUniform(shape: Shape, min = -0.05, max = 0.05, rng: Rng = globalRng()): Tensor {
  return draw(shape, rng, (r) => r.uniform(min, max));
}

export function randomNormal(shape: Shape, mean = 0, stddev = 0.05, rng: Rng = globalRng()): Tensor {
  return draw(shape, rng, (r) => mean + stddev * r.normal());
}

/**
 * Keras's fans: Dense kernel [in, out] -> (in, out); conv kernel HWIO [kh, kw, in, out] ->
 * (kh*kw*in, kh*kw*out).
 */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  if (shape.length < 2) return { fanIn: sizeOf(shape), fanOut: sizeOf(shape) };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
}

/** glorot_uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)); Keras's default kernel init. */
export function glorotUniform(shape: Shape, rng: Rng = globalRng()): Tensor {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randomUniform(shape, -limit, limit, rng);
}

/**
 * he_uniform: U(-l, l) with l = sqrt(6 / fan_in). Keeps the second moment of a relu stack's
 * activations (glorot's 2 / (fan_in + fan_out) halves it at every equal-width relu layer).
 */
export function heUniform(shape: Shape, rng: Rng = globalRng()): Tensor {
  const limit = Math.sqrt(6 / fans(shape).fanIn);
  return randomUniform(shape, -limit, limit, rng);
}

export type KernelInitializer = 'glorot_uniform' | 'he_uniform';

export function initKernel(name: KernelInitializer, shape: Shape, rng: Rng = globalRng()): Tensor {
  return name === 'he_uniform' ? heUniform(shape, rng) : glorotUniform(shape, rng);
}
