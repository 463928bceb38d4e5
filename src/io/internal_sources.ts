// TEST-ONLY: the command-line tests point downloads at a loopback server with
// DAWNFLOW_INTERNAL_SOURCES=FILE.json, { "<file name>": { "url": ..., "md5": ... } }.
// Read here and nowhere else; deliberately not in the help or the README.
import { readFileSync } from 'node:fs';
import type { Sources } from './imagenet_weights.js';

export function internalSources(): Sources | undefined {
  const file = process.env.DAWNFLOW_INTERNAL_SOURCES;
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as Sources) : undefined;
}
