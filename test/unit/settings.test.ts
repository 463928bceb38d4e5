// The DAWNFLOW_* settings registry (src/util/settings.ts): typed values and defaults, one-line
// errors for invalid values, the CLI's check at start, docs/settings.md generated from it, and
// that every read of a DAWNFLOW_* variable in src/, bench/ and test/ goes through it and is
// registered under the module that makes it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { checkSettings, dawnflowEnvironment, SETTINGS, setting, type SettingSpec } from '../../src/util/settings.js';
import { settingsMarkdown } from '../../src/util/settings_doc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTRY = SETTINGS as Record<string, SettingSpec>;

describe('typed values', () => {
  test('flags: 1 on, 0 or unset or empty off', () => {
    expect(setting('DAWNFLOW_F16', {})).toBe(false);
    expect(setting('DAWNFLOW_F16', { DAWNFLOW_F16: '' })).toBe(false);
    expect(setting('DAWNFLOW_F16', { DAWNFLOW_F16: '0' })).toBe(false);
    expect(setting('DAWNFLOW_F16', { DAWNFLOW_F16: '1' })).toBe(true);
  });

  test('choices: one of the values, else the default (null where the code decides)', () => {
    expect(setting('DAWNFLOW_CONV', {})).toBeNull();
    expect(setting('DAWNFLOW_CONV', { DAWNFLOW_CONV: 'wino' })).toBe('wino');
    expect(setting('DAWNFLOW_TUNING', {})).toBe('on');
    expect(setting('DAWNFLOW_TUNING', { DAWNFLOW_TUNING: 'off' })).toBe('off');
  });

  test('integers: at least the minimum, else the default', () => {
    expect(setting('DAWNFLOW_FAULT_PAUSE_MS', {})).toBe(60_000);
    expect(setting('DAWNFLOW_FAULT_PAUSE_MS', { DAWNFLOW_FAULT_PAUSE_MS: '250' })).toBe(250);
    expect(setting('DAWNFLOW_FUZZ_CASE', {})).toBeNull();
    expect(setting('DAWNFLOW_FUZZ_CASE', { DAWNFLOW_FUZZ_CASE: '0' })).toBe(0);
  });

  test('text: as given, or checked against its format', () => {
    expect(setting('DAWNFLOW_CACHE_DIR', { DAWNFLOW_CACHE_DIR: '/tmp/x y' })).toBe('/tmp/x y');
    expect(setting('DAWNFLOW_FAULT_PAUSE_IN', { DAWNFLOW_FAULT_PAUSE_IN: 'train-step@3, state-write' })).toBe(
      'train-step@3, state-write',
    );
  });

  test.each([
    ['DAWNFLOW_F16', 'yes', "dawnflow: DAWNFLOW_F16 must be 0 or 1, got 'yes'"],
    ['DAWNFLOW_CONV', 'winograd', "dawnflow: DAWNFLOW_CONV must be one of gemm, tex, sg, wino, wino4, got 'winograd'"],
    ['DAWNFLOW_GEMM', 'TILED', "dawnflow: DAWNFLOW_GEMM must be one of tiled, naive, got 'TILED'"],
    ['DAWNFLOW_FAULT_PAUSE_MS', '1.5', "dawnflow: DAWNFLOW_FAULT_PAUSE_MS must be an integer >= 0, got '1.5'"],
    ['DAWNFLOW_FUZZ_NPY_CASES', '0', "dawnflow: DAWNFLOW_FUZZ_NPY_CASES must be an integer >= 1, got '0'"],
    [
      'DAWNFLOW_FAULT_LOSE_DEVICE_IN',
      'train step',
      "dawnflow: DAWNFLOW_FAULT_LOSE_DEVICE_IN must be point[@n], got 'train step'",
    ],
  ] as const)('%s=%s is refused in one line naming the variable and its values', (name, value, message) => {
    expect(() => setting(name, { [name]: value })).toThrow(message);
  });
});

describe('the CLI checks every setting before it starts', () => {
  afterEach(() => {
    delete process.env.DAWNFLOW_CONV;
    delete process.env.DAWNFLOW_NOT_A_SETTING;
  });

  async function cli(args: string[]): Promise<{ code: number; err: string[] }> {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const code = await run(args);
      return { code, err: error.mock.calls.map((c) => c.join(' ')) };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  test('checkSettings lists invalid values and unknown DAWNFLOW_* names', () => {
    const r = checkSettings({ DAWNFLOW_SYNC: '2', DAWNFLOW_SPIN: '1', DAWNFLOW_F61: '1', HOME: '/' });
    expect(r.errors).toEqual(["dawnflow: DAWNFLOW_SYNC must be 0 or 1, got '2'"]);
    expect(r.unknown).toEqual([expect.stringMatching(/^dawnflow: warning: DAWNFLOW_F61 is not a dawnflow setting/)]);
  });

  test('an invalid value exits 2 with its one line; an unknown name only warns', async () => {
    process.env.DAWNFLOW_CONV = 'fast';
    expect(await cli(['help'])).toEqual({
      code: 2,
      err: ["dawnflow: DAWNFLOW_CONV must be one of gemm, tex, sg, wino, wino4, got 'fast'"],
    });
    delete process.env.DAWNFLOW_CONV;
    process.env.DAWNFLOW_NOT_A_SETTING = '1';
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/DAWNFLOW_NOT_A_SETTING is not a dawnflow setting \(docs\/settings\.md/);
  });

  test('bench reports record the DAWNFLOW_* environment as given', () => {
    expect(dawnflowEnvironment({ DAWNFLOW_F16: '1', DAWNFLOW_X: 'y', PATH: '/bin' })).toEqual({
      DAWNFLOW_F16: '1',
      DAWNFLOW_X: 'y',
    });
  });
});

describe('the registry is complete and documented', () => {
  test('every setting has a description, readers, and a documented default', () => {
    for (const [name, s] of Object.entries(REGISTRY)) {
      expect(name).toMatch(/^DAWNFLOW_[A-Z0-9_]+$/);
      expect(s.description.length, name).toBeGreaterThan(10);
      expect(s.readers.length, name).toBeGreaterThan(0);
      if (s.default === null) expect(s.unset, `${name}: say what applies when unset`).toBeTruthy();
    }
  });

  test('docs/settings.md is generated from the registry (npx vitest run test/unit/settings.test.ts -u)', async () => {
    await expect(settingsMarkdown()).toMatchFileSnapshot(join(ROOT, 'docs/settings.md'));
  });

  const sources = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'bench')), ...files(join(ROOT, 'test'))].map(
    (path) => ({ path: relative(ROOT, path), text: readFileSync(path, 'utf8') }),
  );

  test('only the registry reads DAWNFLOW_* variables from the environment', () => {
    const direct = /process\.env(\.DAWNFLOW_|\[\s*['"`]DAWNFLOW_)|k\.startsWith\(['"]DAWNFLOW_/;
    const readers = sources
      .filter((f) => f.path !== 'src/util/settings.ts' && !f.path.startsWith('test/'))
      .filter((f) => direct.test(f.text))
      .map((f) => f.path);
    expect(readers).toEqual([]);
  });

  test("each read names its module among the setting's readers, and each reader reads it", () => {
    const reads = new Map<string, Set<string>>();
    for (const f of sources.filter((s) => s.path !== 'test/unit/settings.test.ts')) {
      for (const m of f.text.matchAll(/\bsetting\(\s*'(DAWNFLOW_[A-Z0-9_]+)'/g)) {
        if (!reads.has(m[1])) reads.set(m[1], new Set());
        reads.get(m[1])!.add(f.path);
      }
    }
    for (const name of reads.keys()) expect(Object.keys(REGISTRY), `${name}: read, not registered`).toContain(name);
    for (const [name, s] of Object.entries(REGISTRY)) {
      expect([...(reads.get(name) ?? [])].sort(), `${name}: readers`).toEqual([...s.readers].sort());
    }
  });

  test('every DAWNFLOW_* name in src/ and bench/ is a registered setting', () => {
    // Output markers that merely share the prefix.
    const notSettings = new Set(['DAWNFLOW_PEER_RESULT']);
    const named = new Set(
      sources
        .filter((f) => !f.path.startsWith('test/'))
        .flatMap((f) => [...f.text.matchAll(/\bDAWNFLOW_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])),
    );
    const unknown = [...named].filter((n) => !notSettings.has(n) && !(n in REGISTRY));
    expect(unknown).toEqual([]);
  });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'fixtures' ? [] : files(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
