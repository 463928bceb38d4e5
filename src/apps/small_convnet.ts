// The chapter's from-scratch baseline (DLwP 5.2, with dropout): four conv/pool blocks
// 32-64-128-128, Flatten, Dropout 0.5, Dense 512 relu, Dense 1 sigmoid (about 80% on Cats vs Dogs).
import { Sequential } from '../nn/container.js';
import { Conv2D } from '../nn/layers/convolutional.js';
import { Dense, Dropout, Flatten } from '../nn/layers/core.js';
import { MaxPooling2D } from '../nn/layers/pooling.js';
import { SCRATCH_PRESETS } from './chapter_presets.js';

const SIZE = SCRATCH_PRESETS.full.targetSize;

export function smallConvnet(inputShape: [number, number, number] = [SIZE, SIZE, 3]): Sequential {
  const model = new Sequential();
  model.add(new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu', inputShape }));
  model.add(new MaxPooling2D({ poolSize: 2 }));
  for (const filters of [64, 128, 128]) {
    model.add(new Conv2D({ filters, kernelSize: 3, activation: 'relu' }));
    model.add(new MaxPooling2D({ poolSize: 2 }));
  }
  model.add(new Flatten());
  model.add(new Dropout({ rate: 0.5 }));
  model.add(new Dense({ units: 512, activation: 'relu' }));
  model.add(new Dense({ units: 1, activation: 'sigmoid' }));
  return model;
}
