// src/util/atomic_write.ts: every variant leaves the target whole (old or new) and no temporary
// file or folder, also when the writer or the rename fails.
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { buildFolderAtomic, isTempName, writeAtomicWith, writeFileAtomic } from '../../src/util/atomic_write.js';

const dir = fs.mkdtempSync(join(os.tmpdir(), 'dawnflow-atomic-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const temps = (d = dir) => fs.readdirSync(d).filter(isTempName);

test('writeFileAtomic creates the folder, replaces the file, leaves no temporary file', () => {
  const path = join(dir, 'sub', 'a.json');
  writeFileAtomic(path, 'one');
  writeFileAtomic(path, 'two', { durable: true });
  expect(fs.readFileSync(path, 'utf8')).toBe('two');
  expect(temps(join(dir, 'sub'))).toEqual([]);
});

test('a failing writer or rename keeps the old file and removes the temporary one', () => {
  const path = join(dir, 'b.bin');
  writeFileAtomic(path, 'old');
  expect(() =>
    writeAtomicWith(path, (tmp) => {
      fs.writeFileSync(tmp, 'half');
      throw new Error('writer failed');
    }),
  ).toThrow('writer failed');
  const spy = vi.spyOn(fs, 'renameSync').mockImplementation(() => {
    throw new Error('EXDEV');
  });
  try {
    expect(() => writeFileAtomic(path, 'new')).toThrow('EXDEV');
  } finally {
    spy.mockRestore();
  }
  expect(fs.readFileSync(path, 'utf8')).toBe('old');
  expect(temps()).toEqual([]);
});

test('buildFolderAtomic: a whole folder or none; replace swaps an old one', async () => {
  const target = join(dir, 'set');
  await buildFolderAtomic(target, (tmp) => fs.writeFileSync(join(tmp, 'x'), '1'));
  await expect(buildFolderAtomic(target, (tmp) => fs.writeFileSync(join(tmp, 'x'), '2'))).rejects.toThrow();
  expect(fs.readFileSync(join(target, 'x'), 'utf8')).toBe('1');
  await expect(
    buildFolderAtomic(
      target,
      () => {
        throw new Error('build failed');
      },
      { replace: true },
    ),
  ).rejects.toThrow('build failed');
  expect(fs.readFileSync(join(target, 'x'), 'utf8')).toBe('1');
  await buildFolderAtomic(target, (tmp) => fs.writeFileSync(join(tmp, 'y'), '3'), { replace: true });
  expect(fs.readdirSync(target)).toEqual(['y']);
  expect(temps()).toEqual([]);
});
