// `--help` text, rendered from the command table and each command's FlagSpec (the parser's own
// declarations): the global list of commands with their one-line summaries, and per command its
// usage, positional arguments, flags with their meaning and default, then the device and global
// flags every command takes.
import type { Flag, FlagSpec } from './args.js';
import { DEVICE_FLAGS, GLOBAL_FLAGS, showValue } from './common_flags.js';

/** What help needs to know of a command (commands.ts adds how to run it). */
export interface CommandDoc {
  name: string;
  /** One line for the global list. */
  summary: string;
  /** Usage lines after `dawnflow `. */
  usage: string[];
  /** Positional arguments: name and meaning. */
  args?: [string, string][];
  flags: FlagSpec;
  /** Lines after the flags: what the flags alone do not say. */
  notes?: string[];
}

const WIDTH = 120;
const COLUMN = 30;

/** The value a flag's help shows after its name. */
function valueName(f: Flag): string {
  if (f.kind === 'boolean') return '';
  if (f.value) return ` ${f.value}`;
  return f.kind === 'string' ? ' TEXT' : ' N';
}

function defaultText(f: Flag): string | null {
  if (f.default === undefined) return null;
  return showValue(typeof f.default === 'function' ? f.default() : f.default);
}

/** `left` padded to the column, then `text` wrapped at WIDTH under the column. */
function entry(left: string, text: string): string[] {
  const pad = ' '.repeat(COLUMN);
  const lines: string[] = [];
  let line = left.length + 2 > COLUMN ? left : left.padEnd(COLUMN);
  if (left.length + 2 > COLUMN) {
    lines.push(line);
    line = pad;
  }
  let fresh = true;
  for (const word of text.split(' ')) {
    if (!fresh && line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = pad;
      fresh = true;
    }
    line += fresh ? word : ` ${word}`;
    fresh = false;
  }
  return [...lines, line];
}

function flagLines(name: string, f: Flag): string[] {
  const left = `  ${name === 'help' ? '-h, ' : ''}--${name}${valueName(f)}`;
  const d = defaultText(f);
  return entry(left, d === null ? f.help : `${f.help}; default: ${d}`);
}

/** The command's flags in three groups: its own, the device's, the global ones. */
function groups(spec: FlagSpec): [string, [string, Flag][]][] {
  const own: [string, Flag][] = [];
  const device: [string, Flag][] = [];
  for (const [name, f] of Object.entries(spec)) {
    if (typeof f === 'string') continue;
    (DEVICE_FLAGS[name as 'adapter'] === f ? device : own).push([name, f]);
  }
  const global = Object.entries(GLOBAL_FLAGS).filter(([name]) => !Object.hasOwn(spec, name));
  return [
    ['flags', own],
    ['device flags', device],
    ['global flags', global],
  ];
}

export function commandHelp(c: CommandDoc): string {
  const out = c.usage.map((u, i) => `${i ? '       ' : 'usage: '}dawnflow ${u}`);
  out.push('', c.summary);
  if (c.args?.length) {
    out.push('', 'arguments:');
    for (const [name, text] of c.args) out.push(...entry(`  ${name}`, text));
  }
  for (const [title, flags] of groups(c.flags)) {
    if (!flags.length) continue;
    out.push('', `${title}:`);
    for (const [name, f] of flags) out.push(...flagLines(name, f));
  }
  if (c.notes?.length) out.push('', ...c.notes);
  return out.join('\n');
}

export function globalHelp(commands: readonly CommandDoc[]): string {
  const out = [
    'dawnflow — deep learning on WebGPU (Dawn) under Node.js',
    '',
    'usage: dawnflow <command> [flags]',
    '       dawnflow <command> --help   (or -h, or dawnflow help <command>): its flags and defaults',
    '',
    'commands:',
  ];
  for (const c of commands) out.push(...entry(`  ${c.name}`, c.summary));
  out.push('', 'global flags (before the command or among its flags):');
  for (const [name, f] of Object.entries(GLOBAL_FLAGS)) out.push(...flagLines(name, f));
  out.push('', 'every DAWNFLOW_* environment setting: docs/settings.md');
  return out.join('\n');
}
