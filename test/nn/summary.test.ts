// The four summary tables of the chapter, as Keras 2.3 prints them: rows, names, output shapes,
// counts, the 65-column layout, and the trainable counts after freezing and fine-tune unfreezing.
import { beforeEach, describe, expect, test } from 'vitest';
import { vgg16Architecture } from '../../src/apps/vgg16.js';
import { chapterModel, freezeBase, unfreezeFrom } from '../../src/apps/chapter.js';
import { smallConvnet } from '../../src/apps/small_convnet.js';
import { resetNames } from '../../src/nn/naming.js';
import { summaryRow } from '../../src/nn/summary.js';
import { useGpu } from '../helpers/gpu.js';

useGpu();
beforeEach(() => resetNames());

// Expected rows written out by hand from the Keras tables (name (Class), shape, params).
const BASE_ROWS: [string, string, number][] = [
  ['input_1 (InputLayer)', '(None, 150, 150, 3)', 0],
  ['block1_conv1 (Conv2D)', '(None, 150, 150, 64)', 1792],
  ['block1_conv2 (Conv2D)', '(None, 150, 150, 64)', 36928],
  ['block1_pool (MaxPooling2D)', '(None, 75, 75, 64)', 0],
  ['block2_conv1 (Conv2D)', '(None, 75, 75, 128)', 73856],
  ['block2_conv2 (Conv2D)', '(None, 75, 75, 128)', 147584],
  ['block2_pool (MaxPooling2D)', '(None, 37, 37, 128)', 0],
  ['block3_conv1 (Conv2D)', '(None, 37, 37, 256)', 295168],
  ['block3_conv2 (Conv2D)', '(None, 37, 37, 256)', 590080],
  ['block3_conv3 (Conv2D)', '(None, 37, 37, 256)', 590080],
  ['block3_pool (MaxPooling2D)', '(None, 18, 18, 256)', 0],
  ['block4_conv1 (Conv2D)', '(None, 18, 18, 512)', 1180160],
  ['block4_conv2 (Conv2D)', '(None, 18, 18, 512)', 2359808],
  ['block4_conv3 (Conv2D)', '(None, 18, 18, 512)', 2359808],
  ['block4_pool (MaxPooling2D)', '(None, 9, 9, 512)', 0],
  ['block5_conv1 (Conv2D)', '(None, 9, 9, 512)', 2359808],
  ['block5_conv2 (Conv2D)', '(None, 9, 9, 512)', 2359808],
  ['block5_conv3 (Conv2D)', '(None, 9, 9, 512)', 2359808],
  ['block5_pool (MaxPooling2D)', '(None, 4, 4, 512)', 0],
];

/** A row the way Keras pads it: name to column 29, shape to 55, count to 65. */
function row(name: string, shape: string, params: number): string {
  return `${name.padEnd(28).slice(0, 28)} ${shape.padEnd(25)} ${String(params).padEnd(10)}`;
}

function table(
  model: string,
  rows: [string, string, number][],
  total: string,
  trainable: string,
  frozen: string,
): string {
  const lines = [
    `Model: "${model}"`,
    '_'.repeat(65),
    row('Layer (type)', 'Output Shape', 0).replace(/0 *$/, 'Param #   '),
    '='.repeat(65),
  ];
  rows.forEach((r, i) => lines.push(row(...r), (i === rows.length - 1 ? '=' : '_').repeat(65)));
  lines.push(
    `Total params: ${total}`,
    `Trainable params: ${trainable}`,
    `Non-trainable params: ${frozen}`,
    '_'.repeat(65),
  );
  return lines.join('\n');
}

const quiet = () => {};

describe('summary()', () => {
  test('Keras row layout: fields cut and padded at 29 / 55 / 65', () => {
    expect(summaryRow(['input_1 (InputLayer)', '(None, 150, 150, 3)', '0'])).toBe(
      row('input_1 (InputLayer)', '(None, 150, 150, 3)', 0),
    );
    // A name longer than its column is cut and the separator forced to a space.
    const long = summaryRow(['a_very_long_layer_name_indeed (Conv2D)', '(None, 1)', '5']);
    expect(long.slice(0, 29)).toBe('a_very_long_layer_name_indee ');
    expect(long).toHaveLength(65);
  });

  test('VGG16 conv base at 150x150: 14,714,688 parameters', () => {
    const text = vgg16Architecture({ inputShape: [150, 150, 3] }).summary(quiet);
    expect(text).toBe(table('vgg16', BASE_ROWS, '14,714,688', '14,714,688', '0'));
    for (const line of text.split('\n').slice(1)) expect(line.length).toBeLessThanOrEqual(65);
  });

  test('VGG16 with the top at 224x224: 138,357,544 parameters', () => {
    const text = vgg16Architecture({ includeTop: true }).summary(quiet);
    expect(text).toContain(row('fc1 (Dense)', '(None, 4096)', 102764544));
    expect(text).toContain(row('flatten (Flatten)', '(None, 25088)', 0));
    expect(text).toContain(row('predictions (Dense)', '(None, 1000)', 4097000));
    expect(text).toContain(row('block5_pool (MaxPooling2D)', '(None, 7, 7, 512)', 0));
    expect(text).toMatch(/Total params: 138,357,544\nTrainable params: 138,357,544\nNon-trainable params: 0\n_{65}$/);
  });

  test('the chapter head: 16,812,353; frozen 2,097,665 trainable; block5 unfrozen 9,177,089', () => {
    const base = vgg16Architecture({ inputShape: [150, 150, 3] });
    const model = chapterModel(base);
    const rows: [string, string, number][] = [
      ['vgg16 (Model)', '(None, 4, 4, 512)', 14714688],
      ['flatten_1 (Flatten)', '(None, 8192)', 0],
      ['dense_1 (Dense)', '(None, 256)', 2097408],
      ['dense_2 (Dense)', '(None, 1)', 257],
    ];
    expect(model.summary(quiet)).toBe(table('sequential_1', rows, '16,812,353', '16,812,353', '0'));
    expect(model.trainableWeights).toHaveLength(30);
    freezeBase(base);
    expect(model.trainableWeights).toHaveLength(4);
    expect(model.summary(quiet)).toBe(table('sequential_1', rows, '16,812,353', '2,097,665', '14,714,688'));
    unfreezeFrom(base, 'block5_conv1');
    expect(model.trainableWeights).toHaveLength(10);
    expect(model.summary(quiet)).toBe(table('sequential_1', rows, '16,812,353', '9,177,089', '7,635,264'));
    expect(base.trainableWeights.reduce((n, v) => n + v.value.size, 0)).toBe(7079424);
  });

  test('the small convnet of the chapter', () => {
    const text = smallConvnet().summary(quiet);
    expect(text).toContain(row('conv2d_1 (Conv2D)', '(None, 148, 148, 32)', 896));
    expect(text).toContain(row('max_pooling2d_4 (MaxPooling2D)', '(None, 7, 7, 128)', 0));
    expect(text).toContain(row('flatten_1 (Flatten)', '(None, 6272)', 0));
    expect(text).toContain(row('dense_1 (Dense)', '(None, 512)', 3211776));
    expect(text).toContain('Total params: 3,453,121');
  });
});
