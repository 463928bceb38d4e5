// `dawnflow fetch weights` as a user runs it (a subprocess of bin/dawnflow.js, so build first:
// `npx tsc -p tsconfig.json`), pointed at loopback servers through the test-only
// DAWNFLOW_INTERNAL_SOURCES: offline it fails fast with one line; two runs at once download
// once; a second run finds the file. Usage mistakes exit with 2.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { resolveWeights } from '../../src/cli/features.js';
import { closedPort, serve, trickle } from '../helpers/loopback.js';

const BIN = fileURLToPath(new URL('../../bin/dawnflow.js', import.meta.url));
const NOTOP = 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';
const FAKE = Buffer.from('fake VGG16 weights\n'.repeat(20_000));
const FAKE_MD5 = createHash('md5').update(FAKE).digest('hex');

let dir = '';
let home = '';
beforeEach(() => {
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-fetch-'));
  home = join(dir, 'keras');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs the CLI in `dir` (no ./weights there) with KERAS_HOME and the test-only sources. */
function cli(args: string[], sources?: object): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, KERAS_HOME: home };
  for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy']) delete env[k];
  if (sources) {
    const file = join(dir, `sources-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify(sources));
    env.DAWNFLOW_INTERNAL_SOURCES = file;
  }
  const t0 = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out, err, ms: Date.now() - t0 });
    }),
  );
}

describe('dawnflow fetch weights', () => {
  test('offline: exit 1 within seconds, one stderr line naming the URL, the places and the md5', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/${NOTOP}`;
    const r = await cli(['fetch', 'weights'], { [NOTOP]: { url, md5: FAKE_MD5 } });
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(10_000);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^dawnflow: cannot download ${url.replace(/\./g, '\\.')} \\(connect ECONNREFUSED`),
    );
    expect(lines[0]).toContain(
      `put it at ${join(home, 'models', NOTOP)} or ${join('weights', NOTOP)} (md5 ${FAKE_MD5})`,
    );
    expect(fs.existsSync(join(home, 'models', NOTOP))).toBe(false);
  });

  test('two runs at once download once; a third finds the file', async () => {
    const s = await serve((_req, res) => trickle(res, FAKE, 40_000, 100));
    try {
      const sources = { [NOTOP]: { url: `${s.url}/${NOTOP}`, md5: FAKE_MD5 } };
      const [a, b] = await Promise.all([cli(['fetch', 'weights'], sources), cli(['fetch', 'weights'], sources)]);
      const dest = join(home, 'models', NOTOP);
      expect([a.code, b.code, a.err + b.err]).toEqual([0, 0, expect.not.stringContaining('dawnflow:')]);
      expect(s.seen).toHaveLength(1);
      expect(fs.readFileSync(dest).equals(FAKE)).toBe(true);
      expect(fs.readdirSync(join(home, 'models'))).toEqual([NOTOP]);
      expect(a.out + b.out).toContain(`saved ${dest} (md5 ${FAKE_MD5} checked)`);
      const c = await cli(['fetch', 'weights'], sources);
      expect([c.code, c.out.trim()]).toEqual([0, `VGG16 ImageNet weights: ${dest}`]);
      expect(s.seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  test('usage mistakes exit with 2 and one line', async () => {
    for (const [args, msg] of [
      [['fetch'], /usage: dawnflow fetch weights/],
      [['fetch', 'wieghts'], /unknown thing to fetch 'wieghts'; did you mean 'weights'\?/],
      [['fetch', 'weights', '--top'], /unknown flag --top for 'fetch'; did you mean --include-top\?/],
      [['fetch', 'data', 'mnist'], /unknown data set 'mnist'/],
    ] as const) {
      const r = await cli([...args]);
      expect([r.code, r.err.trim().split('\n').length]).toEqual([2, 1]);
      expect(r.err).toMatch(msg);
    }
  });
});

describe('--weights imagenet', () => {
  test('resolves to the file in $KERAS_HOME/models without downloading', async () => {
    const saved = process.env.KERAS_HOME;
    process.env.KERAS_HOME = home;
    try {
      const path = join(home, 'models', NOTOP);
      fs.mkdirSync(join(home, 'models'), { recursive: true });
      fs.writeFileSync(path, FAKE);
      expect(await resolveWeights('imagenet')).toBe(path);
    } finally {
      if (saved === undefined) delete process.env.KERAS_HOME;
      else process.env.KERAS_HOME = saved;
    }
  });
});
