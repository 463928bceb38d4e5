// Where Keras keeps what it downloads, so a file fetched by Keras is found by dawnflow and the
// other way round. Keras's rule (keras/backend/__init__.py and utils/data_utils.get_file):
// $KERAS_HOME if set (a relative one is taken from the working folder), else ~/.keras, or
// /tmp/.keras when the home folder cannot be written.
import { accessSync, constants } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function kerasHome(): string {
  const env = process.env.KERAS_HOME;
  if (env) return resolve(env);
  const home = homedir();
  return join(writable(home) ? home : tmpdir(), '.keras');
}

/** `models` holds the applications' weights, `datasets` the data sets (Keras's cache_subdir). */
export function kerasCacheDir(sub: 'models' | 'datasets'): string {
  return join(kerasHome(), sub);
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
