// Approach 1 on the real Cats vs Dogs photos (../shared/data/cats_and_dogs_small) at reduced
// size: 32x32 inputs, the first 60 training and 40 validation images, 2 epochs. Where the folder
// is absent (the photos are optional, not in the repository) vitest reports it skipped, the
// reason in its name.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { run } from '../../src/cli/main.js';
import { useGpu } from '../helpers/gpu.js';
import { skipNote } from '../helpers/skip.js';

const DATA = fileURLToPath(new URL('../../../shared/data/cats_and_dogs_small/', import.meta.url));
const present = existsSync(join(DATA, 'train'));

useGpu();
const dir = mkdtempSync(join(tmpdir(), 'dawnflow-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!present)(
  skipNote(
    'approach 1 on the real photos',
    present,
    `the optional real photos are absent (${join(DATA, 'train')} not found)`,
  ),
  () => {
    test('features of real JPEGs, then 2 epochs of the head', async () => {
      const out: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
        out.push(String(s));
        return true;
      });
      const warn = vi.spyOn(console, 'error').mockImplementation((...a) => void out.push(a.join(' ')));
      const code = await run([
        'feature-extraction',
        '--data',
        DATA,
        '--weights',
        'random',
        '--target-size',
        '32',
        '--limit',
        '60',
        '--epochs',
        '2',
        '--seed',
        '1',
        '--json',
        join(dir, 'r.json'),
      ]);
      for (const s of [log, write, warn]) s.mockRestore();
      expect(code, out.join('\n')).toBe(0);
      const text = out.join('\n');
      expect(text).toContain('Found 2000 images belonging to 2 classes.');
      expect(text).toContain('Train on 60 samples, validate on 60 samples');
      const r = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
      expect(r.history.loss).toHaveLength(2);
      for (const v of [...r.history.loss, ...r.history.val_loss]) expect(Number.isFinite(v)).toBe(true);
    });
  },
);
