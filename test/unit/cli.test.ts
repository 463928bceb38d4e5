// The model commands of the CLI, run in-process: summary of the built-in models and of files,
// and weights verify (md5 and layout) on a generated VGG16-notop-layout file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { resetNames } from '../../src/nn/naming.js';
import { cli } from '../helpers/cli.js';
import { useGpu } from '../helpers/gpu.js';
import { SMALL_VGG16_WIDTHS, VGG16_WIDTHS, writeLegacyVgg16Notop } from '../helpers/keras_fixtures.js';

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dawnflow summary', () => {
  test('vgg16 at the chapter size and with the top', async () => {
    const base = await cli(['summary', 'vgg16', '--input-shape', '150,150,3']);
    expect(base.code).toBe(0);
    expect(base.out).toMatch(/^Model: "vgg16"/);
    expect(base.out).toContain('Total params: 14,714,688');
    const top = await cli(['summary', 'vgg16', '--include-top']);
    expect(top.out).toContain('Total params: 138,357,544');
  });

  test('chapter-head prints the trainable-weight counts of the book', async () => {
    resetNames();
    const r = await cli(['summary', 'chapter-head', '--variant', 'fine-tune']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('before freezing the conv base: 30');
    expect(r.out).toContain('after freezing the conv base: 4');
    expect(r.out).toContain('Trainable params: 9,177,089');
    expect(r.out.match(/^Model: /gm)).toHaveLength(1);
  });

  test('bad input shapes, models and variants exit 2 with the fix', async () => {
    expect((await cli(['summary', 'vgg16', '--input-shape', '150,150'])).err).toMatch(/--input-shape must be H,W,C/);
    expect((await cli(['summary', 'vgg16', '--include-top', '--input-shape', '150,150,3'])).err).toMatch(
      /must be 224x224x3/,
    );
    const r = await cli(['summary', 'resnet']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown model 'resnet'/);
    expect((await cli(['summary', 'vgg16', '--input-shape', '20,20,3'])).err).toMatch(/at least 32x32/);
  });

  test('a weights-only file lists its layers and weight shapes', async () => {
    const path = join(dir, 'small.h5');
    await writeLegacyVgg16Notop(path, 3, SMALL_VGG16_WIDTHS);
    const r = await cli(['summary', path]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('weights only (no model_config), Keras 1 legacy layout');
    expect(r.out).toMatch(/block1_conv1 +block1_conv1_W_1:0 \[3, 3, 3, 4\] +block1_conv1_b_1:0 \[4\]/);
  });
});

describe('dawnflow weights verify', () => {
  test('layout OK for a VGG16-notop-layout file; a wrong md5 fails', async () => {
    const path = join(dir, 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
    await writeLegacyVgg16Notop(path, 4, VGG16_WIDTHS);
    const r = await cli(['weights', 'verify', path]);
    expect(r.out).toMatch(
      /layout: OK, 13 layers with weights in VGG16 order, 14,714,688 parameters \(Keras 1 legacy layout\)/,
    );
    expect(r.out).toMatch(/md5: +[0-9a-f]{32} MISMATCH \(Keras publishes 6d6bbae143d832006294945121d1f1fc\)/);
    expect(r.code).toBe(1);
  });

  test('another layout is reported with the first difference', async () => {
    const path = join(dir, 'other.h5');
    await writeLegacyVgg16Notop(path, 4, SMALL_VGG16_WIDTHS);
    const r = await cli(['weights', 'verify', path]);
    expect(r.out).toMatch(
      /layout: BAD, layer 1 'block1_conv1' has \[3, 3, 3, 4\] \[4\], block1_conv1 needs \[3, 3, 3, 64\] \[64\]/,
    );
    expect(r.code).toBe(1);
  });

  test('a missing file says where to get it', async () => {
    const r = await cli(['weights', 'verify', join(dir, 'nope.h5')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not found; see weights\/README.md/);
  });
});
