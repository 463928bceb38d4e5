// The project's commit habit, checked on the history: a subject under 72 characters and a body
// that says why. Commits up to BASELINE predate the rule and stay as they are (history is not
// rewritten). A checkout without that history (a tarball, a shallow clone) cannot check it.
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { skipNote } from '../helpers/skip.js';

/** The last commit written before the rule; everything after it must follow it. */
const BASELINE = 'e0ccc8b';
const MAX_SUBJECT = 72;

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

interface Commit {
  hash: string;
  subject: string;
  body: string;
}

function commitsSinceBaseline(): Commit[] {
  const out = git(['log', '--format=%h%x1f%s%x1f%b%x1e', `${BASELINE}..HEAD`]) ?? '';
  return out
    .split('\x1e')
    .filter((r) => r.trim())
    .map((r) => {
      const [hash, subject, body = ''] = r.replace(/^\n/, '').split('\x1f');
      return { hash, subject, body };
    });
}

const hasHistory = git(['cat-file', '-e', `${BASELINE}^{commit}`]) !== null;

test.skipIf(!hasHistory)(
  skipNote('every commit since the rule has a short subject and a body', hasHistory, `no git history with ${BASELINE}`),
  () => {
    const bad = commitsSinceBaseline()
      .filter((c) => c.subject.length > MAX_SUBJECT || !c.body.trim())
      .map((c) => `${c.hash} ${c.subject.length > MAX_SUBJECT ? 'subject too long' : 'no body'}: ${c.subject}`);
    expect(bad).toEqual([]);
  },
);
