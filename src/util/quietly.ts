// Runs code with console.warn silenced: for libraries (jsfive) that warn on input they then
// report another way, and for tests that provoke warnings on purpose.

/** The result of `body`, with every console.warn during it dropped. */
export function quietly<T>(body: () => T): T {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return body();
  } finally {
    console.warn = warn;
  }
}
