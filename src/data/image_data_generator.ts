// Keras's ImageDataGenerator front end: the augmentation and rescale settings, and
// flowFromDirectory(), which returns the directory iterator that applies them on the GPU.
import type { AugmentOptions } from './augment.js';
import { validateAugment } from './augment.js';
import { DirectoryIterator, type ClassMode, type DirectoryIteratorOptions } from './directory_iterator.js';
import type { Interpolation } from './load_img.js';

export interface ImageDataGeneratorOptions extends AugmentOptions {
  /** Multiplies pixels after the warp, as Keras's standardize() does (e.g. 1/255). */
  rescale?: number;
}

export interface FlowOptions extends Omit<DirectoryIteratorOptions, 'augment' | 'rescale' | 'targetSize'> {
  /** [height, width]; Keras's default is 256x256. */
  targetSize?: [number, number];
  classMode?: ClassMode;
  interpolation?: Interpolation;
}

export class ImageDataGenerator {
  private readonly augment: AugmentOptions | null;

  constructor(readonly options: ImageDataGeneratorOptions = {}) {
    const { rescale, ...aug } = options;
    if (rescale !== undefined && !Number.isFinite(rescale))
      throw new Error(`dawnflow: rescale must be a number, got ${rescale}`);
    validateAugment(aug);
    const any = Object.entries(aug).some(
      ([k, v]) => k !== 'fillMode' && k !== 'cval' && v !== undefined && v !== 0 && v !== false,
    );
    this.augment = any ? aug : null;
  }

  /** Keras flow_from_directory: class sub-folders, Keras's listing and batching, binary labels by default. */
  flowFromDirectory(dir: string, o: FlowOptions = {}): DirectoryIterator {
    return new DirectoryIterator(dir, { ...o, augment: this.augment, rescale: this.options.rescale ?? 1 });
  }
}
