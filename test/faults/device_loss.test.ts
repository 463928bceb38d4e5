// Device loss: the GPU device is destroyed in the middle of a `dawnflow chapter` training step
// (DAWNFLOW_FAULT_LOSE_DEVICE_IN, as a driver reset would). The run must end with exit code 1
// and one line naming the loss, the checkpoint that is kept and the fix; that checkpoint must
// hold exactly the committed epochs, and running the same command again must finish the job.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readKerasH5 } from '../../src/io/h5_read.js';
import {
  TINY,
  chapterArgs,
  iterationsOf,
  killChildren,
  lastLine,
  makeChapterData,
  readState,
  runCli,
} from './chapter_cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dawnflow-device-loss-'));
afterAll(() => {
  killChildren();
  rmSync(dir, { recursive: true, force: true });
});

test('a device lost mid-step: one line, the last checkpoint kept, and the run resumes', async () => {
  const data = makeChapterData(join(dir, 'data'));
  const out = join(dir, 'run');
  // Every approach-1 step, then one transfer epoch: the loss hits transfer epoch 2, step 1.
  const hit = TINY.fe.epochs * TINY.fe.steps + TINY.tr.steps + 1;
  const env = { DAWNFLOW_FAULT_LOSE_DEVICE_IN: `train-step@${hit}` };
  const lost = await runCli(chapterArgs(data, out), env);
  expect(lost.code, lost.out).toBe(1);
  expect(lastLine(lost.out)).toMatch(
    new RegExp(
      '^dawnflow: the GPU device was lost \\(destroyed by DAWNFLOW_FAULT_LOSE_DEVICE_IN\\)[^\\n]*; ' +
        'the last good checkpoint \\S*checkpoints/transfer\\.h5 \\(epoch 1\\) is kept: ' +
        'run the same command again to resume$',
    ),
  );
  expect(lost.out).not.toMatch(/^\s+at /m);
  const state = readState(out)!;
  expect(state.phases.transfer.epochsDone).toBe(1);
  expect(iterationsOf(readKerasH5(join(out, 'checkpoints', 'transfer.h5')))).toBe(TINY.tr.steps);
  expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['feature-extraction.h5', 'transfer.h5']);

  const resumed = await runCli(chapterArgs(data, out));
  expect(resumed.code, resumed.out).toBe(0);
  expect(resumed.out).toContain(`resuming transfer after epoch 1/${TINY.tr.epochs}`);
  expect(resumed.out).toMatch(/^test acc: [\d.]+$/m);
  expect(readState(out)!.phases['fine-tune'].epochsDone).toBe(TINY.ft.epochs);
}, 120_000);
