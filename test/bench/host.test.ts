// The bench report's CPU line (bench/host.ts): cpuinfo's first processor block read into model,
// family, model number and the widest vector extension; a report with it renders it beside the
// load average, one without (written before 2026-12-06) renders as before.
import { describe, expect, test } from 'vitest';
import { describeCpuinfo } from '../../bench/host.js';
import { renderSections } from '../../bench/results.js';

const BLOCK = (model: string, family: string, number: string, flags: string) =>
  `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: ${family}\nmodel\t\t: ${number}\nmodel name\t: ${model}\nflags\t\t: ${flags}\n`;

describe('describeCpuinfo', () => {
  test('model, family, model number and AVX-512 from the first block only', () => {
    const text = `${BLOCK('AMD EPYC', '26', '2', 'fpu sse avx2 avx512f avx512vl')}\n${BLOCK('Other', '1', '1', 'fpu')}`;
    expect(describeCpuinfo(text)).toBe('AMD EPYC (family 26, model 2; AVX-512)');
  });

  test('AVX2 when there is no AVX-512; neither when there is no AVX2', () => {
    expect(describeCpuinfo(BLOCK('Intel Xeon', '6', '85', 'fpu avx avx2'))).toBe(
      'Intel Xeon (family 6, model 85; AVX2)',
    );
    expect(describeCpuinfo(BLOCK('Old', '6', '15', 'fpu sse2'))).toBe('Old (family 6, model 15)');
  });

  test('no model name (not an x86 cpuinfo): null, and the caller falls back to Node', () => {
    expect(describeCpuinfo('processor\t: 0\nBogoMIPS\t: 50.00\n')).toBeNull();
  });
});

describe('the report renders the CPU with the load average', () => {
  const base = {
    version: 1,
    date: '2026-12-06T00:00:00Z',
    node: 'v20',
    command: 'dawnflow bench',
    adapter: { info: { description: 'llvmpipe', software: true }, features: [], limits: {} },
    kernels: { batch: 4, size: 150, warmup: 1, repeat: 3, timing: 'gpu-timestamps', results: [] },
  };
  test('with the CPU, and without it as before', () => {
    const load = { cores: 2, start: [1, 1, 1] };
    const withCpu = renderSections({
      ...base,
      load: { ...load, cpu: 'AMD EPYC (family 26, model 2; AVX-512)' },
    } as never);
    expect(withCpu.kernels).toContain(
      'on 2 cores of AMD EPYC (family 26, model 2; AVX-512): 1.00 / 1.00 / 1.00 at the start',
    );
    const without = renderSections({ ...base, load } as never);
    expect(without.kernels).toContain('on 2 cores: 1.00 / 1.00 / 1.00 at the start');
  });
});
