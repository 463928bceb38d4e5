// The machinery of the fault-injection fuzzers (fuzz_h5, fuzz_images): a seeded case generator
// that can replay the whole run or one case, a per-case deadline that also stops synchronous
// code, a peak-RSS watch, the rule every refusal must follow, and a tally of the distinct
// error messages. The files under test are made at test time; nothing here knows a format.
import fs from 'node:fs';
import vm from 'node:vm';
import { mulberry32 } from '../helpers/random.js';
import { setting } from '../../src/util/settings.js';

/** The run's seed: DAWNFLOW_FUZZ_SEED, else its fixed registered default, so CI runs are repeatable. */
export function fuzzSeed(suite: string): number {
  const seed = setting('DAWNFLOW_FUZZ_SEED');
  const only = onlyCase();
  const replay = only === null ? '' : `, only case ${only}`;
  console.log(
    `${suite}: fuzz seed ${seed} (replay: DAWNFLOW_FUZZ_SEED=${seed}` +
      ' [DAWNFLOW_FUZZ_CASE=N for one case, DAWNFLOW_FUZZ_SAVE=PATH to keep its file])' +
      replay,
  );
  return seed;
}

/** DAWNFLOW_FUZZ_CASE=N runs case N alone (its bytes depend only on the seed and N). */
export function onlyCase(): number | null {
  return setting('DAWNFLOW_FUZZ_CASE');
}

/** With DAWNFLOW_FUZZ_CASE, DAWNFLOW_FUZZ_SAVE=PATH keeps that case's file for a closer look. */
export function keepCase(file: string): void {
  const to = setting('DAWNFLOW_FUZZ_SAVE');
  if (to && onlyCase() !== null) fs.copyFileSync(file, to);
}

/** A seeded stream of choices. */
export class Rand {
  private readonly u: () => number;

  constructor(seed: number) {
    this.u = mulberry32(seed);
  }

  float(): number {
    return this.u();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.u() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.u() < p;
  }
}

/** Case i's own seed, so that a case can be replayed without running the ones before it. */
export function caseSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

// ---------------------------------------------------------------- running one case

export type Outcome<T> =
  | { kind: 'ok'; value: T; ms: number }
  | { kind: 'error'; error: unknown; ms: number }
  | { kind: 'hang'; ms: number };

const context = vm.createContext({});
const script = new vm.Script('body()');

/**
 * Runs `body` with a hard deadline: V8 stops even a synchronous loop in a third-party decoder
 * once `ms` have passed (the same watchdog the HDF5 reader uses for itself, in its own context).
 */
export function runBounded<T>(ms: number, body: () => T): Outcome<T> {
  const t0 = performance.now();
  context.body = body;
  try {
    const value = script.runInContext(context, { timeout: ms }) as T;
    return { kind: 'ok', value, ms: performance.now() - t0 };
  } catch (error) {
    const elapsed = performance.now() - t0;
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      return { kind: 'hang', ms: elapsed };
    }
    return { kind: 'error', error, ms: elapsed };
  } finally {
    context.body = undefined;
  }
}

// ---------------------------------------------------------------- what a refusal must look like

/**
 * Text only a JavaScript engine or a library's internals write: a user must never see it
 * (it says nothing about the file and suggests a dawnflow crash).
 */
const LEAKS = new RegExp(
  [
    '\\b(Type|Range|Reference|Syntax|Eval|URI|Internal|Aggregate)Error\\b',
    'is not a function',
    'is not iterable',
    'is not a constructor',
    'Cannot read propert',
    'Cannot set propert',
    'Cannot convert',
    'Maximum call stack',
    'Invalid (typed )?array length',
    'Invalid string length',
    'Array buffer allocation',
    'Offset is outside',
    'out of bounds',
    'Unexpected token',
    'Unexpected end of JSON',
    'JSON at position',
    '\\bERR_[A-Z_]{3,}',
    'thing is not',
    'should not',
    'assert',
    '\\bat \\S+:\\d+:\\d+',
    'undefined \\(reading',
    'of (undefined|null)\\b',
    'NaN',
  ].join('|'),
);

/** Why `e` is not a proper refusal of `file`, or null when it is one. */
export function refusalProblem(e: unknown, file: string): string | null {
  if (!(e instanceof Error)) return `threw a non-Error (${typeof e}: ${String(e).slice(0, 80)})`;
  const m = e.message;
  const prefix = `dawnflow: ${file}: `;
  if (!m.startsWith(prefix)) return `does not start with '${prefix}'`;
  if (/[\r\n]/.test(m)) return 'is more than one line';
  if (m.length > 500) return `is ${m.length} characters long`;
  const leak = LEAKS.exec(m.slice(prefix.length));
  if (leak) return `shows internal text ('${leak[0]}')`;
  if (!m.slice(prefix.length).includes('; ')) return "says no fix (no '; <what to do>')";
  return null;
}

/**
 * A message with what varies from file to file taken out (the path, names in quotes, numbers,
 * shapes, byte dumps, object paths), so that messages of one kind count once.
 */
export function normalise(message: string, file: string): string {
  return message
    .split(file)
    .join('<file>')
    .replace(/'[^']*'/g, "'_'")
    .replace(/"[^"]*"/g, '"_"')
    .replace(/\[[^\]]*\]/g, '[_]')
    .replace(/\b(?:[0-9a-f]{2} ){1,}[0-9a-f]{2}\b/gi, 'HEX')
    .replace(/\b(marker:?) [0-9a-f]{1,4}\b/gi, '$1 HEX')
    .replace(/(?:\/[^\s;:,()'"]+)+/g, '<path>')
    .replace(/-?\d+x-?\d+/g, 'NxN')
    .replace(/-?\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, 'N')
    .replace(/\b(?:N\s*x\s*N|NxN)\b/g, 'NxN');
}

// ---------------------------------------------------------------- the tally

export interface Verdict {
  problem?: string | null;
  same?: boolean;
}

export interface CaseId {
  index: number;
  kind: string;
  base: string;
}

/** Counts, distinct messages and failures of one fuzz run; fails the test with the first few. */
export class FuzzReport {
  cases = 0;
  refused = 0;
  loadedSame = 0;
  loadedChanged = 0;
  slowest = { ms: 0, id: '' };
  readonly messages = new Map<string, { count: number; example: string }>();
  readonly failures: string[] = [];
  private readonly rssStart = peakRssMb();

  constructor(
    readonly suite: string,
    readonly seed: number,
    private readonly rssLimitMb: number,
  ) {}

  label(c: CaseId): string {
    return `case ${c.index} (${c.kind} of ${c.base})`;
  }

  /**
   * Records how case `c` ended. `v.problem`: what the caller's oracle found wrong (a harmless
   * change refused, a broken file accepted, values that differ); `v.same`: a load that gave
   * exactly the original.
   */
  record(c: CaseId, file: string, o: Outcome<unknown>, v: Verdict): void {
    this.cases++;
    if (o.ms > this.slowest.ms) this.slowest = { ms: o.ms, id: this.label(c) };
    if (o.kind === 'hang') this.fail(c, `did not finish within ${o.ms.toFixed(0)} ms`);
    else if (o.kind === 'error') this.refusal(c, file, o.error);
    else if (v.same) this.loadedSame++;
    else this.loadedChanged++;
    if (v.problem) this.fail(c, v.problem);
    this.checkMemory(c);
  }

  fail(c: CaseId, what: string): void {
    this.failures.push(`${this.label(c)}: ${what}`);
  }

  private refusal(c: CaseId, file: string, e: unknown): void {
    this.refused++;
    const problem = refusalProblem(e, file);
    const message = e instanceof Error ? e.message : String(e);
    if (problem) this.fail(c, `the error ${problem}: ${message.slice(0, 300)}`);
    const key = normalise(message, file);
    const seen = this.messages.get(key);
    if (seen) seen.count++;
    else this.messages.set(key, { count: 1, example: message.slice(0, 200) });
  }

  private checkMemory(c: CaseId): void {
    const grown = peakRssMb() - this.rssStart;
    if (grown > this.rssLimitMb && !this.failures.some((f) => f.includes('peak RSS'))) {
      this.fail(c, `peak RSS grew by ${grown.toFixed(0)} MB (limit ${this.rssLimitMb} MB)`);
    }
  }

  summary(seconds: number): string {
    const lines = [
      `${this.suite}: ${this.cases} cases in ${seconds.toFixed(1)} s (seed ${this.seed}): ` +
        `${this.refused} refused, ${this.loadedSame} loaded unchanged, ` +
        `${this.loadedChanged} loaded with changed values; ` +
        `${this.messages.size} distinct error messages; ` +
        `peak RSS +${(peakRssMb() - this.rssStart).toFixed(0)} MB; ` +
        `slowest ${this.slowest.ms.toFixed(0)} ms (${this.slowest.id})`,
    ];
    const sorted = [...this.messages.entries()].sort((a, b) => b[1].count - a[1].count);
    for (const [, { count, example }] of sorted) lines.push(`  ${String(count).padStart(5)}  ${example}`);
    if (this.failures.length) {
      lines.push(`${this.failures.length} FAILURES, by kind:`, ...this.failureKinds());
    }
    return lines.join('\n');
  }

  /** One line per kind of failure (the case label and file-specific details taken out). */
  private failureKinds(): string[] {
    const kinds = new Map<string, { count: number; example: string }>();
    for (const f of this.failures) {
      const key = normalise(f.replace(/^case \d+ \(([^)]*)\)/, '$1'), '').slice(0, 160);
      const k = kinds.get(key);
      if (k) k.count++;
      else kinds.set(key, { count: 1, example: f.slice(0, 300) });
    }
    return [...kinds.values()].map(({ count, example }) => `  ${String(count).padStart(5)}  ${example}`);
  }
}

/** The process's peak resident set so far, in MB (it never goes down, so nothing slips by). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

// ---------------------------------------------------------------- byte mutations

export type Mutation = (b: Uint8Array, r: Rand) => Uint8Array;

/** Cut at a random length (never the whole file). */
export const truncate: Mutation = (b, r) => b.slice(0, r.int(b.length));

/** Cut a few bytes off the end, where end markers and trailing tables live. */
export const clipTail: Mutation = (b, r) => b.slice(0, Math.max(0, b.length - r.range(1, 16)));

/** XOR 1..n random bytes with a non-zero value. */
export function flips(n: number): Mutation {
  return (b, r) => {
    const out = b.slice();
    const k = r.range(1, n);
    for (let i = 0; i < k; i++) out[r.int(out.length)] ^= r.range(1, 255);
    return out;
  };
}

/** A run of 1..16 bytes set to one value (0x00, 0xff or random). */
export const smear: Mutation = (b, r) => {
  const out = b.slice();
  const at = r.int(out.length);
  const value = r.pick([0x00, 0xff, r.int(256)]);
  out.fill(value, at, Math.min(out.length, at + r.range(1, 16)));
  return out;
};

/** Insert 1..64 random bytes somewhere. */
export const insert: Mutation = (b, r) => {
  const at = r.int(b.length + 1);
  const extra = Uint8Array.from({ length: r.range(1, 64) }, () => r.int(256));
  return concat(b.subarray(0, at), extra, b.subarray(at));
};

/** Delete 1..64 bytes somewhere. */
export const remove: Mutation = (b, r) => {
  const at = r.int(b.length);
  return concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + r.range(1, 64))));
};

/** Copy a slice of the file over another place (repeated structures confuse parsers). */
export const duplicate: Mutation = (b, r) => {
  const out = b.slice();
  const len = Math.min(r.range(4, 128), b.length);
  out.set(b.subarray(...span(r, b.length, len)), r.int(b.length - len + 1));
  return out;
};

function span(r: Rand, size: number, len: number): [number, number] {
  const from = r.int(size - len + 1);
  return [from, from + len];
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte-equal typed arrays (bit patterns, so NaN payloads and -0 count). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return x.equals(y);
}
