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
  name: 'feature-extraction' | 'transfer' | 'fine-tune';
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
  misclassified: Misclassified[];
}

export interface ChapterResults {
  version: 1;
  startedAt: string;
  finishedAt: string | null;
  /** The command line. */
  command: string;
  adapter: AdapterInfo;
  data: { dir: string; synthetic: boolean; counts: Record<string, number> };
  weights: { file: string | null; random: boolean };
  quick: boolean;
  /** The Keras summary texts. */
  summaries: { base: string; model: string };
  approaches: ApproachResult[];
  test: TestResult | null;
  /** images/s figures. */
  pipeline?: Record<string, number>;
  /** Warnings worth showing (random weights, synthetic data, quick preset). */
  notes: string[];
}
