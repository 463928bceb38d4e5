// "Which layer, which phase" for kernel profiles. Layer.apply pushes the layer's name around its
// call(); the autograd tape captures the scope when an op is recorded and re-enters it (in the
// backward phase) when that node's backward runs, so gradient kernels are charged to the layer
// whose forward made them. Tracking is off unless a profiler turns it on: then apply() costs a
// closure and record() one field.

export type Phase = 'forward' | 'backward' | 'optimizer';

export interface Scope {
  /** Layer names from the outermost container in: ['sequential_1', 'vgg16', 'block1_conv1']. */
  readonly path: readonly string[];
  readonly phase: Phase;
}

let tracking = false;
let path: readonly string[] = [];
let phase: Phase = 'forward';

/** Turns scope tracking on or off (the profiler does); turning it off forgets the stack. */
export function setScopeTracking(on: boolean): void {
  tracking = on;
  path = [];
  phase = 'forward';
}

export function scopeTracking(): boolean {
  return tracking;
}

/** The scope launches are charged to now. */
export function currentScope(): Scope {
  return { path, phase };
}

/** What record() keeps on a grad node: the scope now, or nothing when tracking is off. */
export function captureScope(): Scope | undefined {
  return tracking ? { path, phase } : undefined;
}

/** Runs fn inside layer `name` (Layer.apply). */
export function inLayer<T>(name: string, fn: () => T): T {
  if (!tracking) return fn();
  const prev = path;
  path = [...prev, name];
  try {
    return fn();
  } finally {
    path = prev;
  }
}

/**
 * Runs fn in `scope`'s layers (or the current ones when undefined) and in `ph` (or the scope's
 * own phase): the autograd engine re-entering a node's scope for its backward.
 */
export function inScope<T>(scope: Scope | undefined, ph: Phase | undefined, fn: () => T): T {
  if (!tracking) return fn();
  const [prevPath, prevPhase] = [path, phase];
  path = scope?.path ?? path;
  phase = ph ?? scope?.phase ?? phase;
  try {
    return fn();
  } finally {
    [path, phase] = [prevPath, prevPhase];
  }
}

/** Runs fn in phase `ph`, keeping the layers. */
export function inPhase<T>(ph: Phase, fn: () => T): T {
  return inScope(undefined, ph, fn);
}
