// Dawn's adapter discovery prints notes from native code with fprintf(stderr), on every Vulkan
// driver ("Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000
// to 16 ..."): no JS hook, create() flag or requested limit reaches them, and the process's own
// stderr must stay as it is. Node has no dup2, so fd 2 is swapped by number for that one
// synchronous call: closed, /dev/null opened (POSIX hands out the lowest free number: 2), then the
// original reopened into 2 through /proc/self/fd. Where that could change what stderr is, nothing
// is swapped and the notes stay.
import fs from 'node:fs';

const O_APPEND = 0o2000;

/** True when stderr can be reopened without changing where or how its lines are written. */
function swappable(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const err = fs.fstatSync(2);
    if (!err.isFile()) return err.isFIFO() || err.isCharacterDevice();
    // A reopened file appends. That differs only where a file shares its offset with stdout
    // (`>log 2>&1`) and was not opened for appending.
    const out = fs.fstatSync(1);
    if (out.dev !== err.dev || out.ino !== err.ino) return true;
    const flags = /flags:\s*([0-7]+)/.exec(fs.readFileSync('/proc/self/fdinfo/2', 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & O_APPEND) !== 0;
  } catch {
    return false;
  }
}

/** Runs the synchronous `f` with native writes to stderr discarded. */
export function withoutNativeStderr<T>(f: () => T): T {
  if (!swappable()) return f();
  let saved: number;
  try {
    saved = fs.openSync('/proc/self/fd/2', 'a');
  } catch {
    return f();
  }
  fs.closeSync(2);
  const nul = fs.openSync('/dev/null', 'a');
  try {
    return f();
  } finally {
    if (nul === 2) {
      fs.closeSync(2);
      fs.openSync(`/proc/self/fd/${saved}`, 'a');
      fs.closeSync(saved);
    } else {
      // Another thread took number 2 between the close and the open: there is nothing to put back.
      fs.closeSync(nul);
      fs.closeSync(saved);
    }
  }
}
