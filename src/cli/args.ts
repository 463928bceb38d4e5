// A small flag parser: --name value, --name=value, boolean --flag; unknown flags are errors
// (exit code 2 with the fix), never silently ignored; a flag given again overrides (scripts
// append their own settings to a base command line). Numbers are checked here, once for every
// command: an empty value, NaN, 1e999 or 3.5 where a count is needed never reaches a command.

export class UsageError extends Error {}

/**
 * 'number': any finite number; 'positive': finite and > 0 (rates); 'index': an integer >= 0
 * (seeds, steps where 0 means "all"); 'count': an integer >= 1; 'size': an image side in pixels,
 * an integer from 1 to MAX_SIDE.
 */
export type FlagKind = 'string' | 'boolean' | 'number' | 'positive' | 'index' | 'count' | 'size';

export interface FlagSpec {
  [name: string]: FlagKind;
}

export interface Parsed {
  positional: string[];
  flags: Record<string, string | number | boolean>;
}

/** Larger images than this would not fit any adapter's buffers; a typo, not a setting. */
export const MAX_SIDE = 4096;

/**
 * Parses `argv` for `command`. At most `maxPositional` arguments without a flag are taken
 * (commands that take none say 0, so a stray word is an error, not silently ignored).
 */
export function parseArgs(
  argv: string[], spec: FlagSpec, command: string, maxPositional = Infinity,
): Parsed {
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
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw unknownFlag(name, spec, command);
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

function unknownFlag(name: string, spec: FlagSpec, command: string): UsageError {
  const known = Object.keys(spec).map((k) => `--${k}`).join(', ') || 'none';
  return new UsageError(`unknown flag --${name} for '${command}' (flags: ${known})`);
}

function strayArgument(arg: string, command: string, max: number): UsageError {
  const what = max === 0 ? 'takes no arguments without a flag' : `takes at most ${max} such arguments`;
  return new UsageError(`unexpected argument '${arg}': '${command}' ${what}; see 'dawnflow help'`);
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
