// TEST-ONLY: the command-line tests point downloads at a loopback server with
// DAWNFLOW_INTERNAL_SOURCES=FILE.json, { "<file name>": { "url": ..., "md5": ... } }.
// Read here and nowhere else; deliberately not in the help or the README (docs/settings.md lists
// it among the test-only settings).
import { readFileSync } from 'node:fs';
import { setting } from '../util/settings.js';
import type { Sources } from './imagenet_weights.js';

export function internalSources(): Sources | undefined {
  const file = setting('DAWNFLOW_INTERNAL_SOURCES');
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as Sources) : undefined;
}
