// The dawnflow command line: global flags, then a command of the table in commands.ts, which
// parses its own flags. Usage errors exit with 2 and one line saying what to fix; `--help`,
// `-h` and `help COMMAND` print the command's flags with their meaning and defaults.
import { readFileSync } from 'node:fs';
import { AdapterChoiceError, type DeviceOptions } from '../gpu/device.js';
import { checkSettings, setting } from '../util/settings.js';
import { parseArgs, UsageError } from './args.js';
import { COMMANDS, findCommand, type Command } from './commands.js';
import { GLOBAL_FLAGS } from './common_flags.js';
import { commandHelp, globalHelp, type CommandDoc } from './help.js';
import { onInterruptFit } from './interrupt.js';
import { didYouMean } from './suggest.js';

/** Commands of the global list that the table does not run. */
const BUILTINS: CommandDoc[] = [
  {
    name: 'help',
    summary: "this list; 'help COMMAND' (or COMMAND --help): its flags and defaults",
    usage: ['help [COMMAND]'],
    flags: {},
  },
  { name: 'version', summary: "dawnflow's version (also --version)", usage: ['version'], flags: {} },
];

const NAMES = [...COMMANDS.map((c) => c.name), ...BUILTINS.map((c) => c.name)];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  return pkg.version as string;
}

interface Globals {
  verbose: boolean;
  help: boolean;
  version: boolean;
  rest: string[];
}

/** The global flags before the command: `dawnflow --verbose info`. */
function leadingGlobals(argv: string[]): Globals {
  const g: Globals = { verbose: false, help: false, version: false, rest: argv };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const arg = argv[i];
    if (arg === '--verbose') g.verbose = true;
    else if (arg === '--help' || arg === '-h') g.help = true;
    else if (arg === '--version') g.version = true;
    else {
      const name = arg.replace(/^-+/, '').split('=')[0];
      const guess = didYouMean(name, [...Object.keys(GLOBAL_FLAGS), 'version']);
      const hint = guess ? `did you mean --${guess}? ` : '';
      throw new UsageError(`unknown global flag ${arg}; ${hint}a command's flags go after it (see 'dawnflow help')`);
    }
  }
  return { ...g, rest: argv.slice(i) };
}

function unknownCommand(name: string): UsageError {
  const guess = didYouMean(name, NAMES);
  const hint = guess ? `did you mean '${guess}'? ` : '';
  return new UsageError(`unknown command '${name}'; ${hint}run 'dawnflow help' for the list`);
}

/** `help`, `help COMMAND`: the text on stdout, exit 0. */
function help(topic: string | undefined): number {
  if (topic === undefined || topic === 'help') {
    console.log(globalHelp([...COMMANDS, ...BUILTINS]));
    return 0;
  }
  const doc = findCommand(topic) ?? BUILTINS.find((b) => b.name === topic);
  if (!doc) throw unknownCommand(topic);
  console.log(commandHelp(doc));
  return 0;
}

async function runCommand(cmd: Command, rest: string[], g: Globals): Promise<number> {
  // Asked for help, help is what you get, whatever else the line holds.
  if (g.help || rest.includes('--help') || rest.includes('-h')) return help(cmd.name);
  // The command's own flag of the same name wins (the training commands' --verbose N is Keras's).
  const a = parseArgs(rest, { ...GLOBAL_FLAGS, ...cmd.flags }, cmd.name, cmd.maxPositional);
  const verbose = g.verbose || a.flags.verbose === true;
  const off = NON_RESUMING_TRAINING.has(cmd.name) ? onInterruptFit(cmd.name) : () => {};
  try {
    return await cmd.run(a, deviceOpts(a.flags, verbose));
  } finally {
    off();
  }
}

/** Commands that train without a resumable run folder ('chapter' installs its own handler). */
const NON_RESUMING_TRAINING = new Set(['feature-extraction', 'transfer', 'fine-tune', 'scratch']);

export async function run(argv: string[]): Promise<number> {
  const settings = checkSettings();
  for (const line of [...settings.errors, ...settings.unknown]) console.error(line);
  if (settings.errors.length) return 2;
  try {
    const g = leadingGlobals(argv);
    const [name, ...rest] = g.rest;
    if (g.version || name === 'version') {
      console.log(version());
      return 0;
    }
    if (name === undefined) return help(undefined);
    if (name === 'help') return help(rest[0]);
    const cmd = findCommand(name);
    if (!cmd) throw unknownCommand(name);
    return await runCommand(cmd, rest, g);
  } catch (e) {
    if (e instanceof UsageError || e instanceof AdapterChoiceError) {
      console.error(e.message.startsWith('dawnflow:') ? e.message : `dawnflow: ${e.message}`);
      return 2;
    }
    const msg = (e as Error).message ?? String(e);
    console.error(msg.startsWith('dawnflow:') ? msg : `dawnflow: ${msg}`);
    if (setting('DAWNFLOW_DEBUG')) console.error(debugText(e));
    return 1;
  }
}

/** DAWNFLOW_DEBUG=1: the stack and the chain of causes (loaders keep the original error there). */
function debugText(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e; c !== undefined && parts.length < 8; c = (c as { cause?: unknown }).cause) {
    parts.push(c instanceof Error ? (c.stack ?? c.message) : String(c));
  }
  return parts.join('\ncaused by: ');
}

function deviceOpts(flags: Record<string, unknown>, verbose: boolean): DeviceOptions {
  return { adapter: flags.adapter as string | undefined, backend: flags.backend as string | undefined, verbose };
}
