// `dawnflow summary` starts no GPU: its models' weights go to Dawn's null backend, so it prints
// on a machine where no Vulkan driver (not even lavapipe) can be found, where `info` cannot.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The Vulkan loader then finds no driver at all. */
const NO_DRIVER = { ...process.env, VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' };

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['bin/dawnflow.js', ...args], { cwd: ROOT, env: NO_DRIVER, encoding: 'utf8' });

test('summary prints without any adapter; info, which needs one, fails', () => {
  const s = cli(['summary', 'small-convnet']);
  expect(s.status, s.stderr).toBe(0);
  expect(s.stdout).toContain('Total params: 3,453,121');
  expect(cli(['info']).status).toBe(1);
});
