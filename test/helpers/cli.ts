// Runs the CLI in the test's own process, for tests that only read what it prints: no child
// process to spawn and no dist/ build needed.
import { vi } from 'vitest';
import { run } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  /** console.log lines, joined. */
  out: string;
  /** console.error lines, joined. */
  err: string;
}

export async function cli(args: string[]): Promise<CliResult> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const code = await run(args);
    const text = (s: typeof log) => s.mock.calls.map((c) => c.join(' ')).join('\n');
    return { code, out: text(log), err: text(error) };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
