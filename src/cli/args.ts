// A small flag parser: --name value, --name=value, boolean --flag; unknown flags are errors
// (exit code 2 with the fix and a "did you mean"), never silently ignored; a flag given again
// overrides (scripts append their own settings to a base command line). Numbers are checked
// here, once for every command: an empty value, NaN, 1e999 or 3.5 where a count is needed never
// reaches a command. Each flag declares its meaning and default too: `--help` is rendered from
// the very table the parser reads (help.ts), so the two cannot drift apart.
import { didYouMean } from './suggest.js';

export class UsageError extends Error {}

/**
 * 'number': any finite number; 'positive': finite and > 0 (rates); 'index': an integer >= 0
 * (seeds, steps where 0 means "all"); 'count': an integer >= 1; 'size': an image side in pixels,
 * an integer from 1 to MAX_SIDE.
 */
export type FlagKind = 'string' | 'boolean' | 'number' | 'positive' | 'index' | 'count' | 'size';

export interface Flag {
  kind: FlagKind;
  /** One line: what the flag sets. */
  help: string;
  /** The value's name in help (DIR, FILE.h5, a|b); by kind when absent. */
  value?: string;
  /** What applies when the flag is not given, read from where the command takes it (lazily). */
  default?: string | number | (() => string | number);
}

/** A bare kind is still accepted (a spec not yet described); help then has no line for it. */
export interface FlagSpec {
  [name: string]: FlagKind | Flag;
}

export interface Parsed {
  positional: string[];
  flags: Record<string, string | number | boolean>;
}

/** Larger images than this would not fit any adapter's buffers; a typo, not a setting. */
export const MAX_SIDE = 4096;

export function kindOf(f: FlagKind | Flag): FlagKind {
  return typeof f === 'string' ? f : f.kind;
}

/**
 * Parses `argv` for `command`. At most `maxPositional` arguments without a flag are taken
 * (commands that take none say 0, so a stray word is an error, not silently ignored).
 */
export function parseArgs(argv: string[], spec: FlagSpec, command: string, maxPositional = Infinity): Parsed {
  const out: Parsed = { positional: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (out.positional.length >= maxPositional) throw strayArgument(arg, command, maxPositional);
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (!Object.hasOwn(spec, name)) throw unknownFlag(name, spec, command);
    const kind = kindOf(spec[name]);
    if (kind === 'boolean') {
      out.flags[name] = booleanValue(name, eq < 0 ? undefined : arg.slice(eq + 1));
      continue;
    }
    const raw = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined || (eq < 0 && raw.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value${raw === undefined ? '' : ` (got the flag ${raw})`}`);
    }
    out.flags[name] = kind === 'string' ? raw : numberValue(name, kind, raw);
  }
  return out;
}

/** The command's own help, where its flags are listed with their meaning. */
const seeHelp = (command: string) => `see 'dawnflow ${command.split(' ')[0]} --help'`;

function unknownFlag(name: string, spec: FlagSpec, command: string): UsageError {
  const guess = didYouMean(name, Object.keys(spec));
  const hint = guess ? `did you mean --${guess}? (${seeHelp(command)})` : seeHelp(command);
  return new UsageError(`unknown flag --${name} for '${command}'; ${hint}`);
}

function strayArgument(arg: string, command: string, max: number): UsageError {
  const what = max === 0 ? 'takes no arguments without a flag' : `takes at most ${max} such arguments`;
  return new UsageError(`unexpected argument '${arg}': '${command}' ${what}; ${seeHelp(command)}`);
}

function booleanValue(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === 'true') return true;
  if (raw === 'false') return false;
  throw new UsageError(`--${name} is a switch: give it alone (or =true / =false), not '=${raw}'`);
}

const RULES: Record<Exclude<FlagKind, 'string' | 'boolean'>, [(v: number) => boolean, string]> = {
  number: [() => true, 'a number'],
  positive: [(v) => v > 0, 'a number > 0'],
  index: [(v) => Number.isSafeInteger(v) && v >= 0, 'an integer >= 0'],
  count: [(v) => Number.isSafeInteger(v) && v >= 1, 'an integer >= 1'],
  size: [(v) => Number.isInteger(v) && v >= 1 && v <= MAX_SIDE, `an integer from 1 to ${MAX_SIDE}`],
};

function numberValue(name: string, kind: Exclude<FlagKind, 'string' | 'boolean'>, raw: string): number {
  // Number('') and Number(' ') are 0; only a written-out number counts.
  const v = raw.trim() === '' ? NaN : Number(raw);
  const [ok, what] = RULES[kind];
  if (!Number.isFinite(v) || !ok(v)) throw new UsageError(`--${name} must be ${what}, got '${raw}'`);
  return v;
}
