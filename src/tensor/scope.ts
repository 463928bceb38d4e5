// tidy(): like tf.tidy, every tensor created inside fn is disposed when fn returns, except the
// tensors it returns (found in arrays and plain objects) and those passed to keep().

export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const scopes: Set<Disposable>[] = [];
const kept = new WeakSet<Disposable>();

export function track(t: Disposable): void {
  scopes.at(-1)?.add(t);
}

/** Takes a tensor out of every scope: it lives until disposed by hand. */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  for (const s of scopes) s.delete(t);
  return t;
}

export function unkeep<T extends Disposable>(t: T): T {
  kept.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (!value || typeof value !== 'object' || depth > 4) return;
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  const items = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  for (const v of items) collect(v, out, depth + 1);
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === 'function' && 'disposed' in v;
}

export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (!kept.has(t)) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('dawnflow: tidy() takes a synchronous function');
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  const parent = scopes.at(-1);
  for (const t of scope) {
    if (survivors.has(t) || kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}
