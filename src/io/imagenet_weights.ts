// VGG16's ImageNet weights as Keras gets them: found in Keras's cache ($KERAS_HOME/models) or
// in ./weights, else downloaded from the keras-applications release into Keras's cache, with
// the md5 Keras checks. A file Keras downloaded before is used as it is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { downloadFile, DownloadError, progressPrinter } from './download.js';
import { kerasCacheDir } from './keras_home.js';
import { KNOWN_WEIGHTS } from './known_files.js';

/** Test-only replacement of a file's url/md5, keyed by file name (see internal_sources.ts). */
export type Sources = Record<string, { url?: string; md5?: string } | undefined>;

export interface GetWeightsOptions {
  includeTop: boolean;
  log: (line: string) => void;
  /** Internal, for tests only: no command-line flag sets it. */
  sources?: Sources;
  signal?: AbortSignal;
}

export function imagenetWeightsName(includeTop: boolean): string {
  return Object.entries(KNOWN_WEIGHTS).find(([, k]) => k.includeTop === includeTop)![0];
}

/** The places looked in, in order: Keras's cache, then ./weights (dawnflow's own folder). */
export function imagenetWeightsPlaces(includeTop: boolean): string[] {
  const name = imagenetWeightsName(includeTop);
  return [join(kerasCacheDir('models'), name), join('weights', name)];
}

export function findImagenetWeights(includeTop: boolean): string | null {
  return imagenetWeightsPlaces(includeTop).find((p) => existsSync(p)) ?? null;
}

/** The weights' path: found, or downloaded into $KERAS_HOME/models (md5-checked). */
export async function getImagenetWeights(o: GetWeightsOptions): Promise<string> {
  const found = findImagenetWeights(o.includeTop);
  if (found) {
    o.log(`VGG16 ImageNet weights: ${found}`);
    return found;
  }
  const name = imagenetWeightsName(o.includeTop);
  const { url, md5 } = { ...KNOWN_WEIGHTS[name], ...o.sources?.[name] };
  const [dest, local] = imagenetWeightsPlaces(o.includeTop);
  o.log(`downloading ${url} to ${dest}`);
  try {
    await downloadFile({
      url,
      dest,
      checksum: { algo: 'md5', hex: md5 },
      onProgress: progressPrinter(name),
      signal: o.signal,
    });
  } catch (e) {
    if (!(e instanceof DownloadError) || e.aborted) throw e;
    const fix = `${e.fix ? `${e.fix}; or ` : ''}download it yourself and put it at ${dest} or ${local} (md5 ${md5})`;
    throw new DownloadError(`dawnflow: cannot download ${url} (${e.reason}): ${fix}`, {
      url,
      reason: e.reason,
      fix,
      cause: e,
    });
  }
  o.log(`saved ${dest} (md5 ${md5} checked)`);
  return dest;
}
