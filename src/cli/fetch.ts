// `dawnflow fetch weights [--include-top]` and `dawnflow fetch data cats-vs-dogs [--out DIR]`:
// what Keras would download, fetched once into Keras's cache (resumable, checksum-checked).
// A failed download is a DownloadError: main.ts prints its one line and exits with 1.
import { getImagenetWeights } from '../io/imagenet_weights.js';
import { internalSources } from '../io/internal_sources.js';
import type { FetchCatsVsDogsOptions } from '../data/cats_vs_dogs.js';
import { parseArgs, UsageError } from './args.js';

export const FETCH_HELP = `  fetch weights [--include-top]   VGG16's ImageNet weights into $KERAS_HOME/models (~/.keras),
                                  unless already there or in weights/ (md5-checked, resumable)
  fetch data cats-vs-dogs [--out DIR]
                                  the chapter's photos: train/, validation/, test/`;

const USAGE = 'usage: dawnflow fetch weights [--include-top] | dawnflow fetch data cats-vs-dogs [--out DIR]';

export async function fetchCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'weights') return fetchWeights(rest);
  if (what === 'data') return fetchData(rest);
  throw new UsageError(what ? `unknown thing to fetch '${what}'; ${USAGE}` : USAGE);
}

async function fetchWeights(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { 'include-top': 'boolean' }, 'fetch weights', 0);
  // getImagenetWeights says where it found or put the file.
  await getImagenetWeights({
    includeTop: Boolean(a.flags['include-top']), log: (line) => console.log(line), sources: internalSources(),
  });
  return 0;
}

async function fetchData(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { out: 'string' }, 'fetch data', 1);
  if (a.positional[0] !== 'cats-vs-dogs') {
    throw new UsageError(`${a.positional[0] ? `unknown data set '${a.positional[0]}'` : 'which data set?'}; ${USAGE}`);
  }
  // fetchCatsVsDogs says where it found or put the split.
  const fetchCatsVsDogs = await loadCatsVsDogs();
  // The test-only map keyed by file name: fetchCatsVsDogs takes its archive's entry from it.
  const sources = internalSources() as FetchCatsVsDogsOptions['sources'];
  await fetchCatsVsDogs({ out: a.flags.out as string | undefined, log: (line) => console.log(line), sources });
  return 0;
}

/** src/data/cats_vs_dogs.ts, loaded only by `fetch data` (it brings the zip reader along). */
async function loadCatsVsDogs() {
  return (await import('../data/cats_vs_dogs.js')).fetchCatsVsDogs;
}
