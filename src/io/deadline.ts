// A time limit for synchronous parsing. A damaged HDF5 structure can send jsfive into a long walk
// that no size check foresees (a B-tree whose children repeat, say); Node's vm timeout interrupts
// any synchronous code, the functions the script calls included, so a whole parse runs under one.
import vm from 'node:vm';
import { FIX_REDOWNLOAD, h5Error } from './h5_error.js';

const context = vm.createContext({});
const script = new vm.Script('run()');

/** Runs `body`, or throws a one-line `dawnflow: <file>: ...` Error once `ms` have passed. */
export function runWithDeadline<T>(file: string, ms: number, body: () => T): T {
  // Not re-entrant: a nested call would replace the outer body while it is still running.
  if (context.run !== undefined) return body();
  context.run = body;
  try {
    return script.runInContext(context, { timeout: ms }) as T;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw h5Error(file, `parsing did not finish within ${ms / 1000} s (corrupt HDF5 structure?)`, FIX_REDOWNLOAD, e);
    }
    throw e;
  } finally {
    context.run = undefined;
  }
}
