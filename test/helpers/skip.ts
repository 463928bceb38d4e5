// Skips that say why. A test that cannot check anything here (an adapter capability missing, an
// optional data set absent) must be reported as skipped with the reason, never pass empty:
//   test.skipIf(!ok)(skipNote('name', ok, 'this adapter has no ...'), ...)
// The name carries the reason only where the test is skipped, so vitest's report shows it.

/** `name`, followed by ' — skipped: <reason>' where `ok` is false. */
export function skipNote(name: string, ok: boolean, reason: string): string {
  return ok ? name : `${name} — skipped: ${reason}`;
}
