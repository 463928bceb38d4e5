// The bind-group cache (src/gpu/bind_groups.ts) on a stand-in device that counts the groups it
// makes: the same layout and objects give the same group, any other object a new one, buffers
// are bound whole and views as they are, and past its capacity the least recently used goes.
import { expect, test } from 'vitest';
import { BindGroupCache } from '../../src/gpu/bind_groups.js';
import { openGpu } from '../helpers/gpu.js';

await openGpu(); // GPUBuffer and the other WebGPU globals

function fakeDevice() {
  const made: GPUBindGroupDescriptor[] = [];
  const device = {
    createBindGroup: (d: GPUBindGroupDescriptor) => {
      made.push(d);
      return { made: made.length } as unknown as GPUBindGroup;
    },
  } as unknown as GPUDevice;
  return { device, made };
}

const buffer = () => Object.create(GPUBuffer.prototype) as GPUBuffer;
const view = () => ({}) as GPUTextureView;
const layout = () => ({}) as GPUBindGroupLayout;

test('the same layout and objects give the kept group; another object a new one', () => {
  const { device, made } = fakeDevice();
  const c = new BindGroupCache(device);
  const [l, b1, b2, v] = [layout(), buffer(), buffer(), view()];
  const g = c.get(l, [b1, v, b2], 'k');
  expect(c.get(l, [b1, v, b2], 'k')).toBe(g);
  expect(made).toHaveLength(1);
  expect(made[0].entries).toEqual([
    { binding: 0, resource: { buffer: b1 } },
    { binding: 1, resource: v },
    { binding: 2, resource: { buffer: b2 } },
  ]);
  expect(c.get(l, [b2, v, b1], 'k')).not.toBe(g);
  expect(c.get(layout(), [b1, v, b2], 'k')).not.toBe(g);
  expect(c.get(l, [b1, view(), b2], 'k')).not.toBe(g);
  expect(made).toHaveLength(4);
  expect([c.hits, c.misses]).toEqual([1, 4]);
});

test('past its capacity the least recently used group goes', () => {
  const { device, made } = fakeDevice();
  const c = new BindGroupCache(device, 2);
  const l = layout();
  const [a, b, d] = [buffer(), buffer(), buffer()];
  const ga = c.get(l, [a], 'k');
  c.get(l, [b], 'k');
  expect(c.get(l, [a], 'k')).toBe(ga); // a is now the most recent
  c.get(l, [d], 'k'); // b goes
  expect(c.size).toBe(2);
  expect(c.get(l, [a], 'k')).toBe(ga);
  c.get(l, [b], 'k');
  expect(made).toHaveLength(4);
});
