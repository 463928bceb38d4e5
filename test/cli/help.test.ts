// `--help`, `-h` and `help COMMAND`, rendered from the parser's own FlagSpecs: every flag of
// every command is described, the three forms print the same text with exit 0, misspelt
// commands and flags get a "did you mean", and Dawn's native notes stay off stderr unless
// --verbose (a subprocess of bin/dawnflow.js: build first, `npx tsc -p tsconfig.json`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { kindOf } from '../../src/cli/args.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { didYouMean, editDistance } from '../../src/cli/suggest.js';
import { cli } from '../helpers/cli.js';

// cli() runs in this process; nothing here opens a device.
const BIN = fileURLToPath(new URL('../../bin/dawnflow.js', import.meta.url));

describe('help', () => {
  test('every flag of every command is declared with a one-line description', () => {
    for (const c of COMMANDS) {
      expect(c.summary, c.name).toMatch(/\S/);
      expect(c.usage.length, c.name).toBeGreaterThan(0);
      for (const [name, f] of Object.entries(c.flags)) {
        expect(typeof f, `${c.name} --${name}`).toBe('object');
        if (typeof f === 'string') continue;
        expect(f.help, `${c.name} --${name}`).toMatch(/\S/);
        expect(f.help, `${c.name} --${name}`).not.toMatch(/\n/);
      }
    }
  });

  test("each command's help lists each of its flags, with its default where it has one", async () => {
    for (const c of COMMANDS) {
      const r = await cli(['help', c.name]);
      expect(r.code, c.name).toBe(0);
      expect(r.out, c.name).toMatch(new RegExp(`^usage: dawnflow ${c.name}`));
      for (const [name, f] of Object.entries(c.flags)) {
        expect(r.out, `${c.name} --${name}`).toContain(`--${name}`);
        if (typeof f !== 'string' && f.default !== undefined) expect(r.out).toContain('default: ');
      }
      expect(r.out, c.name).toContain('--verbose');
      expect(
        r.out.split('\n').every((l) => l.length <= 120),
        c.name,
      ).toBe(true);
    }
  });

  test('-h, --help and help COMMAND print the same text, exit 0; stray flags do not stop them', async () => {
    for (const name of ['chapter', 'transfer', 'bench', 'fetch', 'weights', 'profile']) {
      const want = await cli(['help', name]);
      for (const args of [
        [name, '--help'],
        [name, '-h'],
        ['--help', name],
        [name, '--nope', '-h'],
      ]) {
        const r = await cli(args);
        expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 0, err: '' });
        expect(r.out, args.join(' ')).toBe(want.out);
      }
    }
  });

  test('the global list names every command with its summary', async () => {
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${c.name} +${c.summary.slice(0, 20)}`, 'm'));
    expect((await cli([])).out).toBe(r.out);
    expect((await cli(['--help'])).out).toBe(r.out);
    expect((await cli(['-h'])).out).toBe(r.out);
  });

  test("the chapter flags show the presets' numbers", async () => {
    const r = await cli(['chapter', '--help']);
    expect(r.out).toMatch(/--tr-epochs N +approach 2: epochs; default: 30 \(quick 3, demo 5\)/);
    expect(r.out).toMatch(/--fe-lr N +.*default: 2e-5/);
  });
});

describe('did you mean', () => {
  test('edit distance counts a swap of neighbours as one', () => {
    expect(editDistance('chaptr', 'chapter')).toBe(1);
    expect(editDistance('dta', 'data')).toBe(1);
    expect(editDistance('tarnsfer', 'transfer')).toBe(1);
    expect(
      didYouMean(
        'frobnicate',
        COMMANDS.map((c) => c.name),
      ),
    ).toBeNull();
    expect(didYouMean('target', ['target-size', 'seed'])).toBe('target-size');
    expect(didYouMean('top', ['include-top', 'out'])).toBe('include-top');
  });

  test('a misspelt command or flag: one line with the suggestion, exit 2', async () => {
    const cases: [string[], string][] = [
      [['chaptr'], "dawnflow: unknown command 'chaptr'; did you mean 'chapter'?"],
      [['help', 'tarnsfer'], "did you mean 'transfer'?"],
      [['chapter', '--dta', 'x'], "dawnflow: unknown flag --dta for 'chapter'; did you mean --data?"],
      [['transfer', '--epoch', '3'], 'did you mean --epochs?'],
      [['--verbos', 'info'], 'did you mean --verbose?'],
    ];
    for (const [args, want] of cases) {
      const r = await cli(args);
      expect({ args, code: r.code, out: r.out }).toEqual({ args, code: 2, out: '' });
      expect(r.err.split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toContain(want);
    }
  });
});

test('a peers-only bench flag without --peers: one line saying to add it, exit 2', async () => {
  const r = await cli(['bench', '--suite', 'none', '--peer-timeout', '3']);
  expect({ code: r.code, out: r.out }).toEqual({ code: 2, out: '' });
  expect(r.err.trim()).toBe('dawnflow: --peer-timeout applies to the peers comparison: add --peers');
  const only = await cli(['bench', '--suite', 'none', '--peers-only', 'torch-cpu']);
  expect(only.err.trim()).toBe('dawnflow: --peers-only applies to the peers comparison: add --peers');
  // --rounds also shapes the kernel suite, so only a run with neither refuses it.
  const rounds = await cli(['bench', '--suite', 'none', '--rounds', '3']);
  expect({ code: rounds.code, out: rounds.out }).toEqual({ code: 2, out: '' });
  expect(rounds.err.trim()).toBe(
    'dawnflow: --rounds applies to the kernel suite (--suite kernels or all) and to --peers',
  );
});

describe("Dawn's native notes", () => {
  /** bin/dawnflow.js with stderr into a file (a terminal or a pipe behave the same). */
  function stderrOf(args: string[]): { status: number | null; err: string } {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-help-'));
    const file = join(dir, 'stderr');
    const fd = fs.openSync(file, 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', fd] });
      return { status: r.status, err: fs.readFileSync(file, 'utf8') };
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('info prints none without --verbose; --verbose lets them through', () => {
    const quiet = stderrOf(['info']);
    expect(quiet).toEqual({ status: 0, err: '' });
    const loud = stderrOf(['info', '--verbose']);
    expect(loud.status).toBe(0);
    // Whether Dawn has notes depends on the driver (lavapipe has two); none are ours.
    for (const line of loud.err.split('\n').filter(Boolean)) expect(line).not.toMatch(/^dawnflow:/);
  });
});

test('kindOf reads bare kinds and described flags alike', () => {
  expect(kindOf('count')).toBe('count');
  expect(kindOf({ kind: 'size', help: 'x' })).toBe('size');
});
