// Tensors computed from a weight by a pure transform (Winograd's U = G g G^T), kept while the
// weight is unchanged. A frozen layer's weights never change, yet its transform ran on every
// call: about 8% of a fine-tune step with VGG16's frozen base. Whether a weight changed is the
// dispatcher's write count of its buffer (Dispatcher.generation), which every write path bumps,
// so no layer has to say it is frozen and a weight that is written in place (an optimizer step,
// setWeights) is never served stale.
//
// Policy: a transform is kept once two calls in a row found the weight unchanged. A trained
// weight changes between calls, so it never holds a second copy of its transform; a frozen one
// pays its transform twice, then never again. Kept transforms are bounded by BUDGET bytes, the
// least recently used given back first.
import type { Dispatcher } from '../gpu/dispatcher.js';
import { dispatcher } from '../gpu/engine.js';
import { ObjectIds } from '../gpu/object_ids.js';
import { keep, unkeep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** At most this many bytes of kept transforms (VGG16's F(4x4) transforms take 235 MB). */
const BUDGET = 512 * 1024 * 1024;

interface Entry {
  /** The weight: once it is disposed, its transform is given back (sweep()). */
  source: Tensor;
  /** The weight's write count when last seen. */
  generation: number;
  /** The kept transform, made at that count; null until the count repeats. */
  value: Tensor | null;
}

/** Weights whose last count is remembered: more than any model has (VGG16: 16). */
const MAX_ENTRIES = 1024;

/** One engine's kept transforms; a new engine (after shutdown and init) starts empty. */
class DerivedCache {
  /** Keyed by source buffer and transform; Map order is use order (the last is the latest). */
  private entries = new Map<string, Entry>();
  private ids = new ObjectIds();
  bytes = 0;

  constructor(private readonly d: Dispatcher) {}

  get(source: Tensor, kind: string, make: () => Tensor): Derived {
    this.sweep();
    const key = `${this.ids.of(source.buffer)}|${kind}`;
    const generation = this.d.generation(source.buffer);
    const e = this.entries.get(key);
    if (e?.generation === generation && e.value) {
      this.touch(key, e);
      return { tensor: e.value, owned: false };
    }
    if (e) this.drop(key, e);
    const tensor = make();
    const kept = e?.generation === generation && tensor.size * 4 <= BUDGET;
    this.entries.set(key, { source, generation, value: kept ? tensor : null });
    if (kept) {
      // Out of the caller's tidy() scope: it outlives the call that made it.
      keep(tensor);
      this.bytes += tensor.size * 4;
    }
    this.evict(key);
    return { tensor, owned: !kept };
  }

  /**
   * Gives back the transforms of disposed weights: a model built after another one was disposed
   * (a sweep over sizes, a second training run) would otherwise hold both models' transforms
   * until the budget pushed the old ones out.
   */
  sweep(): void {
    for (const [k, e] of this.entries) if (e.source.disposed) this.drop(k, e);
  }

  clear(): void {
    for (const [k, e] of this.entries) this.drop(k, e);
  }

  private touch(key: string, e: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, e);
  }

  private drop(key: string, e: Entry): void {
    if (e.value) {
      this.bytes -= e.value.size * 4;
      unkeep(e.value).dispose();
    }
    this.entries.delete(key);
  }

  /** Least recently used first, never the entry just made. */
  private evict(latest: string): void {
    for (const [k, e] of this.entries) {
      if (this.bytes <= BUDGET && this.entries.size <= MAX_ENTRIES) break;
      if (k !== latest) this.drop(k, e);
    }
  }
}

const caches = new WeakMap<Dispatcher, DerivedCache>();

function cache(): DerivedCache {
  const d = dispatcher();
  let c = caches.get(d);
  if (!c) {
    c = new DerivedCache(d);
    caches.set(d, c);
  }
  return c;
}

/** What derived() returns: `owned` tensors are the caller's to dispose, kept ones are not. */
export interface Derived {
  tensor: Tensor;
  owned: boolean;
}

/** make()'s result for `source` under `kind` (a name for the transform and its parameters). */
export function derived(source: Tensor, kind: string, make: () => Tensor): Derived {
  return cache().get(source, kind, make);
}

/** Gives back every kept transform (tests that count live buffers). */
export function clearDerived(): void {
  cache().clear();
}

/** Bytes of kept transforms. */
export function derivedBytes(): number {
  return cache().bytes;
}
