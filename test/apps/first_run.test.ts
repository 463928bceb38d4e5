// `npm start` on a fresh machine: no weights, no photos, no network. The chapter must pick the
// demo preset, make its synthetic set, learn it (test acc >= 0.9, the bar for a first
// run), say what it ran and that it is not transfer learning, and write curves that move.
// Run in an empty working folder with KERAS_HOME pointed at an empty one, as a stranger's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'dawnflow-first-run-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

test('the first run learns its synthetic set through a random base and says what it was', () => {
  const env = {
    ...process.env,
    KERAS_HOME: join(cwd, 'keras-home'),
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp',
  };
  const r = spawnSync(process.execPath, [join(root, 'bin/dawnflow.js'), 'chapter', '--quick'], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  expect(r.status, out).toBe(0);
  expect(out).toMatch(/NOTE: demo preset \(--quick\): 64x64 images/);
  expect(out).toMatch(/running with RANDOM VGG16 weights/);
  expect(out).toMatch(
    /this run: synthetic banded images made by dawnflow in data\/synthetic-two-class \(200\/100\/100; 100 tested\); a RANDOM VGG16 base \(he_uniform/,
  );
  expect(out).toContain("it is NOT the chapter's transfer learning");
  expect(out).toMatch(/--full \(the book's settings at 150x150\) would take about [\d.]+ (s|min|h) on this adapter/);
  const acc = Number(/^test acc: ([\d.]+)$/m.exec(out)?.[1]);
  expect(acc).toBeGreaterThanOrEqual(0.9);
  const results = JSON.parse(readFileSync(join(cwd, 'runs', 'chapter-demo', 'results.json'), 'utf8'));
  expect(results.test.acc).toBe(acc);
  for (const a of results.approaches) {
    const loss: number[] = a.history.loss;
    // Curves that move: every approach's training loss ends below where it started.
    expect(loss.length, a.name).toBeGreaterThan(1);
    expect(loss[loss.length - 1], a.name).toBeLessThan(loss[0]);
  }
}, 600_000);
