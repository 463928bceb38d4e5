// The VGG16 workload that `bench`, `tune` and the kernel bench time when no flag says otherwise:
// the chapter's image size, and a batch that fits the adapter. On a software adapter one
// batch of 40 at 150x150 takes minutes, so a timing there uses 4.
import { PRESETS } from './chapter_presets.js';

/** Square input size of the timed VGG16 workload: the chapter's target size. */
export const WORKLOAD_SIZE = PRESETS.full.targetSize;

/** Images per timed VGG16 batch on this kind of adapter. */
export function workloadBatch(software: boolean): number {
  return software ? 4 : 40;
}
