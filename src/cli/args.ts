// A small flag parser: --name value, --name=value, boolean --flag; unknown flags are errors
// (exit code 2 with the fix), never silently ignored.

export class UsageError extends Error {}

export interface FlagSpec {
  [name: string]: 'string' | 'number' | 'boolean';
}

export interface Parsed {
  positional: string[];
  flags: Record<string, string | number | boolean>;
}

export function parseArgs(argv: string[], spec: FlagSpec, command: string): Parsed {
  const out: Parsed = { positional: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ') || 'none';
      throw new UsageError(`unknown flag --${name} for '${command}' (flags: ${known})`);
    }
    if (kind === 'boolean') {
      out.flags[name] = eq < 0 ? true : arg.slice(eq + 1) !== 'false';
      continue;
    }
    const raw = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (kind === 'number') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
      out.flags[name] = v;
    } else {
      out.flags[name] = raw;
    }
  }
  return out;
}
