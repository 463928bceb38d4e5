// The shape of a chapter run's `results.json`, written by the chapter orchestration and read
// back by the report. Everything is plain JSON: a NaN in a history comes back as null, so
// readers must treat non-finite entries (null included) as missing points.

export interface EpochHistory {
  loss: number[];
  acc: number[];
  val_loss: number[];
  val_acc: number[];
}

export interface ApproachResult {
  name: 'feature-extraction' | 'transfer' | 'fine-tune' | 'scratch';
  /** e.g. 'Approach 1: feature extraction (RMSprop 2e-5)'. */
  title: string;
  /** epochs, steps, batch, lr, optimizer, augment, targetSize... */
  hyper: Record<string, string | number | boolean>;
  history: EpochHistory;
  epochSeconds: number[];
  /** Training images per second. */
  imagesPerSec?: number;
  /** Approach 1: seconds spent computing the conv-base features. */
  featureSeconds?: number;
  /** Set when a run was resumed from a checkpoint. */
  resumedFromEpoch?: number;
  status: 'done' | 'running' | 'pending';
}

export interface Misclassified {
  /** Absolute path. */
  file: string;
  /** Relative to the data directory, e.g. test/cats/cat.1503.jpg. */
  rel: string;
  label: number;
  /** The model's output (probability of class 1). */
  p: number;
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  software: boolean;
}

export interface TestResult {
  acc: number;
  loss: number;
  /** Test images evaluated (fewer than the folder holds under --limit). */
  images?: number;
  /** The most confident mistakes first (largest |p - 0.5|). */
  misclassified: Misclassified[];
}

export interface ChapterResults {
  version: 1;
  startedAt: string;
  finishedAt: string | null;
  /** The command line. */
  command: string;
  adapter: AdapterInfo;
  /** counts: images in each split's folder; limit: the most any split was read (--limit). */
  data: { dir: string; synthetic: boolean; counts: Record<string, number>; limit?: number };
  weights: { file: string | null; random: boolean };
  quick: boolean;
  /** The preset when not the book's own settings, and every setting it changes. */
  preset?: { name: string; changes: PresetChange[] };
  /** The Keras summary texts. */
  summaries: { base: string; model: string };
  approaches: ApproachResult[];
  test: TestResult | null;
  /** images/s figures. */
  pipeline?: Record<string, number>;
  /** Warnings worth showing (random weights, synthetic data, quick preset). */
  notes: string[];
}

export interface PresetChange {
  /** e.g. 'tr.stepsPerEpoch'. */
  setting: string;
  value: string | number | boolean | null;
  book: string | number | boolean | null;
}
