// The GPU plumbing: uniform packing, size classes, grid folding, shader expansion, the pipeline
// cache, the buffer pool, error reporting that names the kernel, and the CLI's info command.
import { describe, expect, test, vi } from 'vitest';
import { packUniforms, uniformSize } from '../../src/gpu/uniforms.js';
import { sizeClass } from '../../src/gpu/buffer_pool.js';
import { grid1d } from '../../src/gpu/program.js';
import { shaderSource } from '../../src/gpu/shader_source.js';
import { currentGpu, dispatcher, kernelTarget } from '../../src/gpu/engine.js';
import { unaryKernel } from '../../src/kernels/elementwise.js';
import { relu } from '../../src/ops/elementwise.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { windowOutput, broadcastShapes } from '../../src/tensor/shape.js';
import { run } from '../../src/cli/main.js';
import { openGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';

await openGpu();

describe('host-side helpers', () => {
  test('uniforms follow WGSL alignment: vec4 at 16 bytes, block padded to 16', () => {
    const fields = [
      ['n', 'u32'],
      ['a', 'f32'],
      ['s', 'vec4u'],
      ['k', 'i32'],
    ] as const;
    expect(uniformSize(fields)).toBe(48);
    const bytes = packUniforms('t', fields, { n: 7, a: 0.5, s: [1, 2, 3], k: -2 });
    const v = new DataView(bytes.buffer);
    expect([v.getUint32(0, true), v.getFloat32(4, true)]).toEqual([7, 0.5]);
    expect([v.getUint32(16, true), v.getUint32(20, true), v.getUint32(24, true), v.getUint32(28, true)]).toEqual([
      1, 2, 3, 0,
    ]);
    expect(v.getInt32(32, true)).toBe(-2);
    expect(() => packUniforms('t', fields, { n: 1, a: 0, s: [0], k: 0.5 })).toThrow(/integer/);
    expect(() => packUniforms('t', fields, { n: 1, a: 0, s: [0] })).toThrow(/missing uniform k/);
    expect(() => packUniforms('t', fields, { n: -1, a: 0, s: [0], k: 0 })).toThrow(/out of u32/);
  });

  test('pool size classes are quarter steps between powers of two', () => {
    expect([1, 256, 257, 320, 321, 1000, 1 << 20].map(sizeClass)).toEqual([256, 256, 320, 320, 384, 1024, 1 << 20]);
    for (let b = 1; b < 1e7; b = Math.ceil(b * 1.37)) {
      const c = sizeClass(b);
      expect(c).toBeGreaterThanOrEqual(b);
      expect(c).toBeLessThanOrEqual(Math.max(256, b * 1.25 + 16));
    }
  });

  test('grids past 65535 workgroups fold into y', () => {
    expect(grid1d(100, 256)).toEqual([1, 1, 1]);
    const [x, y] = grid1d(65535 * 256 + 1, 256);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y * 256).toBeGreaterThanOrEqual(65535 * 256 + 1);
  });

  test('TF padding rule and broadcasting', () => {
    expect(windowOutput(150, 3, 1, 'same')).toEqual({ out: 150, before: 1 });
    expect(windowOutput(75, 2, 2, 'valid')).toEqual({ out: 37, before: 0 });
    expect(windowOutput(6, 3, 2, 'same')).toEqual({ out: 3, before: 0 });
    expect(broadcastShapes([4, 1, 3], [5, 1])).toEqual([4, 5, 3]);
    expect(() => broadcastShapes([2, 3], [4])).toThrow(/do not broadcast/);
  });

  test('shader expansion: includes, variants, and a missing value is an error', () => {
    const src = shaderSource('matmul', { CORE: 'naive' });
    expect(src).toContain('fn activate');
    expect(src).toContain('one invocation per output');
    expect(src).not.toMatch(/\{\{|\/\/#include/);
    expect(() => shaderSource('matmul', {})).toThrow(/needs a value for \{\{CORE\}\}/);
  });
});

describe('dispatcher', () => {
  test('pipelines are built once per specialisation', async () => {
    const x = Tensor.fromArray([1, -1], [2]);
    relu(x).dispose();
    const before = dispatcher().pipelines.created;
    for (let i = 0; i < 5; i++) relu(x).dispose();
    await dispatcher().sync();
    expect(dispatcher().pipelines.created).toBe(before);
    x.dispose();
  });

  test('long defines key pipelines by their text, not by the string object', () => {
    const cache = dispatcher().pipelines;
    const defines = unaryKernel.defines!({ op: 'relu', n: 8, alpha: 0 });
    // A padded body over the 64-character threshold: equal text in a new string is the same key.
    const body = (pad: string) => `${defines.APPLY}${pad.repeat(80)}`;
    const first = cache.get(unaryKernel, { ...defines, APPLY: body(' ') }, { WG_X: 256 });
    const again = cache.get(unaryKernel, { ...defines, APPLY: [body(' ')].join('') }, { WG_X: 256 });
    const other = cache.get(unaryKernel, { ...defines, APPLY: body('\n') }, { WG_X: 256 });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(other.key).not.toBe(first.key);
  });

  test('a launch over 65535 workgroups is folded and computes every element', async () => {
    const n = 65535 * 256 + 300;
    const host = new Float32Array(n);
    for (let i = 0; i < n; i++) host[i] = (i % 7) - 3;
    const x = Tensor.fromArray(host, [n]);
    const y = relu(x);
    const out = await y.data();
    for (const i of [0, 1, 65535 * 256 - 1, 65535 * 256, n - 2, n - 1]) expect(out[i]).toBe(Math.max(host[i], 0));
    x.dispose();
    y.dispose();
  });

  test('the pool reuses released buffers and counts bytes', () => {
    const d = dispatcher();
    const s0 = d.pool.snapshot();
    const a = Tensor.empty([1000]);
    const s1 = d.pool.snapshot();
    expect(s1.bytesInUse - s0.bytesInUse).toBe(sizeClass(4000));
    a.dispose();
    const b = Tensor.empty([999]);
    expect(d.pool.snapshot().bytesAllocated).toBe(s1.bytesAllocated);
    b.dispose();
    expect(d.pool.snapshot().bytesInUse).toBe(s0.bytesInUse);
    expect(d.pool.snapshot().peakBytesInUse).toBeGreaterThanOrEqual(s1.bytesInUse);
  });

  test('a GPU validation error surfaces at the next readback and names the kernel', async () => {
    const d = dispatcher();
    const x = Tensor.fromArray([1, 2, 3, 4], [4]);
    // A uniform-only buffer where a storage buffer is expected: invalid bind group.
    const bad = currentGpu().device.createBuffer({ size: 256, usage: GPUBufferUsage.UNIFORM });
    d.launch(unaryKernel, { op: 'relu', n: 4, alpha: 0 }, [x.buffer, bad]);
    await expect(x.data()).rejects.toThrow(/validation error in \[unary\]/);
    // The engine keeps working afterwards.
    expect(Array.from(await x.data())).toEqual([1, 2, 3, 4]);
    bad.destroy();
    x.dispose();
  });

  test('after the queue drains, the next launches are submitted early, then in doubling batches', async () => {
    const d = dispatcher();
    const x = Tensor.fromArray([1, -2, 3, -4], [4]);
    const y = Tensor.empty([4]);
    await x.data();
    const batches: number[] = [];
    let launches = 0;
    const submit = d.device.queue.submit;
    d.device.queue.submit = (buffers) => {
      batches.push(launches);
      launches = 0;
      submit.call(d.device.queue, buffers);
    };
    try {
      for (let i = 0; i < 40; i++) {
        launches++;
        d.launch(unaryKernel, { op: 'relu', n: 4, alpha: 0 }, [x.buffer, y.buffer]);
      }
      // A readback drains the queue: the schedule starts small again.
      expect(Array.from(await y.data())).toEqual([1, 0, 3, 0]);
      for (let i = 0; i < 3; i++) {
        launches++;
        d.launch(unaryKernel, { op: 'relu', n: 4, alpha: 0 }, [x.buffer, y.buffer]);
      }
    } finally {
      d.device.queue.submit = submit;
    }
    // 2, 4, 8, 16 launches, then the rest with the readback's copy; then 2 again.
    expect(batches).toEqual([2, 4, 8, 16, 10, 2]);
    d.flush();
    x.dispose();
    y.dispose();
  });

  test('a launch with the wrong number of buffers is refused before encoding', () => {
    const x = Tensor.fromArray([1], [1]);
    expect(() => dispatcher().launch(unaryKernel, { op: 'relu', n: 1, alpha: 0 }, [x.buffer])).toThrow(
      /takes 2 buffers/,
    );
    x.dispose();
  });

  test('using a disposed tensor is a clear error', () => {
    const x = Tensor.fromArray([1], [1]);
    x.dispose();
    expect(() => relu(x)).toThrow(/was disposed/);
  });
});

describe('dawnflow info', () => {
  test('--json prints the adapter, features and limits', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    // info opens and closes its own device; the test's device stays (getGpu reuses it).
    const code = await run(['info', '--json']);
    const printed = JSON.parse(log.mock.calls.map((c) => c.join(' ')).join('\n'));
    log.mockRestore();
    expect(code).toBe(0);
    expect(printed.adapter).toHaveProperty('software');
    expect(typeof printed.adapter.vendor).toBe('string');
    expect(printed.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(printed.features)).toBe(true);
    const kind = kernelTarget() === 'software' ? 'a software adapter' : 'a GPU';
    expect(printed.kernels).toMatch(
      new RegExp(`^chosen for ${kind}( \\(DAWNFLOW_PLAN_AS\\))?; texture operands read as (storage|sampled) textures$`),
    );
  });

  test('an unknown flag or command exits 2 with a one-line fix', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await run(['info', '--nope'])).toBe(2);
    expect(await run(['frobnicate'])).toBe(2);
    const lines = err.mock.calls.map((c) => String(c[0]));
    err.mockRestore();
    expect(lines[0]).toMatch(/unknown flag --nope for 'info'/);
    expect(lines[1]).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('limits', () => {
  // Where one binding can hold the largest buffer, no tensor is over the binding limit.
  const BINDING_LIMIT = dispatcher().maxBinding < (dispatcher().limits.maxBufferSize ?? 0);
  test.skipIf(!BINDING_LIMIT)(
    skipNote(
      "a kernel asked to bind a tensor over the adapter's limit names it and the batch that fits",
      BINDING_LIMIT,
      'this adapter has no binding limit below its buffer limit (maxStorageBufferBindingSize >= ' +
        'maxBufferSize): every buffer is bindable',
    ),
    () => {
      const limit = dispatcher().maxBinding;
      const perImage = 150 * 150 * 64 * 4;
      const batch = Math.floor(limit / perImage) + 1;
      const x = Tensor.empty([batch, 150, 150, 64], 'float32', 'block1_conv1');
      expect(() => relu(x)).toThrow(
        new RegExp(
          `block1_conv1 \\[${batch}, 150, 150, 64\\] needs .* the largest batch that fits is ${batch - 1} \\(kernel unary\\)`,
        ),
      );
      x.dispose();
    },
  );
});
