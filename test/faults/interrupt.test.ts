// Ctrl-C during `dawnflow chapter`: SIGINT after the first epoch line exits 130 with one line
// saying how far the run got and how to go on; the same command then resumes after that epoch,
// and a run re-run once finished says its phases were done instead of timing them at 0.0 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { chapterArgs, killChildren, lastLine, makeChapterData, readState, runCli, TINY } from './chapter_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-interrupt-'));
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});
const data = makeChapterData(join(dir, 'data'));
const out = join(dir, 'run');

test('SIGINT: one line, exit 130; the same command resumes, then finds every phase done', async () => {
  // The kill is sent once epoch 2's line is out: epoch 1 is then committed.
  const r = await runCli(chapterArgs(data, out), {}, (text, _kill, signal) => {
    if (text.includes(`Epoch 2/${TINY.fe.epochs}`)) signal('SIGINT');
  });
  expect({ code: r.code, signal: r.signal }, r.out).toEqual({ code: 130, signal: null });
  const done = readState(out)?.phases['feature-extraction'].epochsDone ?? 0;
  expect(done).toBeGreaterThanOrEqual(1);
  expect(lastLine(r.out)).toBe(
    `dawnflow: interrupted after epoch ${done} of ${TINY.fe.epochs} (feature-extraction); run the same command to resume`,
  );

  const resumed = await runCli(chapterArgs(data, out));
  expect(resumed.code, resumed.out).toBe(0);
  expect(resumed.out).toContain(`resuming feature-extraction after epoch ${done}/${TINY.fe.epochs}`);
  expect(resumed.out).toMatch(new RegExp(`feature-extraction: elapsed [\\d.]+ s \\(resumed after epoch ${done}/`));

  const again = await runCli(chapterArgs(data, out));
  expect(again.code, again.out).toBe(0);
  expect(again.out).toContain('holds a finished run of these settings');
  for (const phase of ['feature-extraction', 'transfer', 'fine-tune'])
    expect(again.out).toContain(`${phase}: done by an earlier run`);
  expect(again.out).not.toMatch(/elapsed 0\.0 s/);
}, 240_000);

test('SIGINT in a command that does not resume says so, and where it stopped', async () => {
  const args = ['bin/dawnflow.js', 'scratch', '--data', data, '--out', join(dir, 'scratch'), '--epochs', '3'];
  const tiny = ['--steps-per-epoch', '2', '--batch-size', '2', '--validation-steps', '1', '--target-size', '48'];
  const r = await runCli([...args, ...tiny, '--limit', '4'], {}, (text, _kill, signal) => {
    if (text.includes('Epoch 2/3')) signal('SIGINT');
  });
  expect({ code: r.code, signal: r.signal }, r.out).toEqual({ code: 130, signal: null });
  expect(lastLine(r.out)).toMatch(
    /^dawnflow: interrupted in epoch [23] of 3; 'scratch' does not resume, so running it again starts over/,
  );
}, 240_000);
