// VGG16's conv table (keras-applications 1.0.8, vgg16.py): the one definition that the model
// (apps/vgg16.ts), the weight-file check (io/verify_weights.ts), the autotuner's shapes
// (ops/autotune.ts) and the benches read. It sits here, in the lowest layer that needs it (the
// autotuner), and imports nothing, so the peer benchmarks' children can read it without ever
// opening dawnflow's device.

/** Filters per block; each block is 2 or 3 3x3 'same' relu convs, then a 2x2 stride-2 max-pool. */
export const VGG16_BLOCKS: readonly (readonly number[])[] = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
];

/** One 3x3 'same' conv of the network. */
export interface VggConv {
  /** Keras's layer name, e.g. block3_conv2. */
  name: string;
  /** 1-based block and conv-in-block numbers. */
  block: number;
  conv: number;
  /** Input height and width for a square input (after the pools of earlier blocks). */
  hw: number;
  ci: number;
  co: number;
  /** The block's last conv: its pool (`block<N>_pool`) follows. */
  last: boolean;
}

/** The convs of `blocks` (VGG16's by default) in order, for a square RGB input of `size`. */
export function vgg16Convs(size = 224, blocks: readonly (readonly number[])[] = VGG16_BLOCKS): VggConv[] {
  const out: VggConv[] = [];
  let hw = size;
  let ci = 3;
  blocks.forEach((filters, b) => {
    filters.forEach((co, c) => {
      const last = c === filters.length - 1;
      out.push({ name: `block${b + 1}_conv${c + 1}`, block: b + 1, conv: c + 1, hw, ci, co, last });
      ci = co;
    });
    hw = Math.floor(hw / 2);
  });
  return out;
}
