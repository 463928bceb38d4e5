// Where VGG16's ImageNet weights are looked for ($KERAS_HOME/models, then ./weights) and how
// they are downloaded into Keras's cache: from a loopback server, md5-checked; offline, one line
// that says where to put the file by hand.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DownloadError } from '../../src/io/download.js';
import { findImagenetWeights, getImagenetWeights, imagenetWeightsName } from '../../src/io/imagenet_weights.js';
import { kerasCacheDir, kerasHome } from '../../src/io/keras_home.js';
import { closedPort, sendFile, serve } from '../helpers/loopback.js';

const NOTOP = 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';
const TOP = 'vgg16_weights_tf_dim_ordering_tf_kernels.h5';
const FAKE = Buffer.from('not really HDF5, but bytes with a known md5\n'.repeat(2000));
const FAKE_MD5 = createHash('md5').update(FAKE).digest('hex');

let dir = '';
let home = '';
const cwd = process.cwd();
const savedKerasHome = process.env.KERAS_HOME;
beforeEach(() => {
  // A fresh working folder (for ./weights) and KERAS_HOME per test; both restored after.
  dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-imagenet-'));
  home = join(dir, 'keras home');
  process.env.KERAS_HOME = home;
  process.chdir(dir);
});
afterEach(() => {
  process.chdir(cwd);
  if (savedKerasHome === undefined) delete process.env.KERAS_HOME;
  else process.env.KERAS_HOME = savedKerasHome;
  fs.rmSync(dir, { recursive: true, force: true });
});

function put(path: string, body: Buffer | string = 'x'): void {
  fs.mkdirSync(join(path, '..'), { recursive: true });
  fs.writeFileSync(path, body);
}

describe('kerasHome', () => {
  test('$KERAS_HOME, also relative to the working folder, else ~/.keras', () => {
    expect(kerasHome()).toBe(home);
    expect(kerasCacheDir('models')).toBe(join(home, 'models'));
    process.env.KERAS_HOME = 'rel/kh';
    expect(kerasCacheDir('datasets')).toBe(resolve(dir, 'rel/kh', 'datasets'));
    delete process.env.KERAS_HOME;
    expect([join(os.homedir(), '.keras'), join(os.tmpdir(), '.keras')]).toContain(kerasHome());
  });
});

describe('findImagenetWeights', () => {
  test('Keras cache first, then ./weights, else null; include_top picks the other file', () => {
    expect(imagenetWeightsName(false)).toBe(NOTOP);
    expect(imagenetWeightsName(true)).toBe(TOP);
    expect(findImagenetWeights(false)).toBeNull();
    put(join('weights', NOTOP));
    expect(findImagenetWeights(false)).toBe(join('weights', NOTOP));
    put(join(home, 'models', NOTOP));
    expect(findImagenetWeights(false)).toBe(join(home, 'models', NOTOP));
    expect(findImagenetWeights(true)).toBeNull();
  });
});

describe('getImagenetWeights', () => {
  async function offlineSources(name = NOTOP) {
    return { [name]: { url: `http://127.0.0.1:${await closedPort()}/${name}`, md5: FAKE_MD5 } };
  }

  test('found in $KERAS_HOME/models: no download', async () => {
    put(join(home, 'models', NOTOP));
    const log: string[] = [];
    const path = await getImagenetWeights({
      includeTop: false,
      log: (l) => log.push(l),
      sources: await offlineSources(),
    });
    expect(path).toBe(join(home, 'models', NOTOP));
    expect(log).toEqual([`VGG16 ImageNet weights: ${path}`]);
  });

  test('found in ./weights: no download', async () => {
    put(join('weights', TOP));
    const path = await getImagenetWeights({ includeTop: true, log: () => {}, sources: await offlineSources(TOP) });
    expect(path).toBe(join('weights', TOP));
  });

  test('downloaded into $KERAS_HOME/models with the md5 checked', async () => {
    const s = await serve((req, res) => sendFile(req, res, FAKE));
    try {
      const log: string[] = [];
      const url = `${s.url}/releases/download/v0.1/${NOTOP}`;
      const path = await getImagenetWeights({
        includeTop: false,
        log: (l) => log.push(l),
        sources: { [NOTOP]: { url, md5: FAKE_MD5 } },
      });
      expect(path).toBe(join(home, 'models', NOTOP));
      expect(fs.readFileSync(path).equals(FAKE)).toBe(true);
      expect(fs.readdirSync(join(home, 'models'))).toEqual([NOTOP]);
      expect(log).toEqual([`downloading ${url} to ${path}`, `saved ${path} (md5 ${FAKE_MD5} checked)`]);
      expect(s.seen.map((r) => r.url)).toEqual([`/releases/download/v0.1/${NOTOP}`]);
    } finally {
      await s.close();
    }
  });

  test('offline: one line naming the URL, where to put the file and its md5, within seconds', async () => {
    const sources = await offlineSources();
    const t0 = Date.now();
    const err = await getImagenetWeights({ includeTop: false, log: () => {}, sources }).catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(DownloadError);
    const url = sources[NOTOP].url;
    expect(err.message).toMatch(
      new RegExp(`^dawnflow: cannot download ${url.replace(/\./g, '\\.')} \\(connect ECONNREFUSED [^)]+\\): `),
    );
    expect(err.message).toContain(
      `put it at ${join(home, 'models', NOTOP)} or ${join('weights', NOTOP)} (md5 ${FAKE_MD5})`,
    );
    expect(err.message).not.toContain('\n');
    expect(fs.existsSync(join(home, 'models', NOTOP))).toBe(false);
  });

  test('the real sources are the keras-applications release assets with their md5s', async () => {
    const { KNOWN_WEIGHTS } = await import('../../src/io/known_files.js');
    const release = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.1/';
    expect(KNOWN_WEIGHTS[NOTOP]).toMatchObject({ url: release + NOTOP, md5: '6d6bbae143d832006294945121d1f1fc' });
    expect(KNOWN_WEIGHTS[TOP]).toMatchObject({ url: release + TOP, md5: '64373286793e3c8b2b4e3219cbf3544b' });
  });
});
