// `dawnflow fetch weights [--include-top]` and `dawnflow fetch data cats-vs-dogs [--out DIR]`:
// what Keras would download, fetched once into Keras's cache (resumable, checksum-checked).
// A failed download is a DownloadError: main.ts prints its one line and exits with 1.
import { getImagenetWeights } from '../io/imagenet_weights.js';
import { internalSources } from '../io/internal_sources.js';
import type { FetchCatsVsDogsOptions } from '../data/cats_vs_dogs.js';
import { CATS_VS_DOGS_OUT, SMALL_DIR } from '../data/cats_vs_dogs_names.js';
import { UsageError, type FlagSpec } from './args.js';
import { didYouMean } from './suggest.js';

export const FETCH_FLAGS: FlagSpec = {
  'include-top': {
    kind: 'boolean',
    help: 'fetch weights: the whole network with its classifier, not only the conv base',
  },
  out: {
    kind: 'string',
    value: 'DIR',
    help: `fetch data: the folder that gets ${SMALL_DIR}/`,
    default: CATS_VS_DOGS_OUT,
  },
};

const USAGE = 'usage: dawnflow fetch weights [--include-top] | dawnflow fetch data cats-vs-dogs [--out DIR]';

/** `fetch weights|data ...`: the flags are checked per thing fetched. */
export async function fetchCommand(positional: string[], flags: Record<string, unknown>): Promise<number> {
  const [what, ...rest] = positional;
  if (what === 'weights') return fetchWeights(rest, flags);
  if (what === 'data') return fetchData(rest, flags);
  const guess = what ? didYouMean(what, ['weights', 'data']) : null;
  const hint = guess ? `did you mean '${guess}'? ` : '';
  throw new UsageError(what ? `unknown thing to fetch '${what}'; ${hint}${USAGE}` : USAGE);
}

/** A flag of the other thing to fetch is refused as the parser refuses an unknown one. */
function only(flags: Record<string, unknown>, allowed: string, command: string): void {
  for (const name of Object.keys(flags)) {
    if (name === allowed || !(name in FETCH_FLAGS)) continue;
    throw new UsageError(`--${name} is not a flag of '${command}'; ${USAGE}`);
  }
}

async function fetchWeights(rest: string[], flags: Record<string, unknown>): Promise<number> {
  if (rest.length) throw new UsageError(`unexpected argument '${rest[0]}': 'fetch weights' takes none; ${USAGE}`);
  only(flags, 'include-top', 'fetch weights');
  // getImagenetWeights says where it found or put the file.
  await getImagenetWeights({
    includeTop: Boolean(flags['include-top']),
    log: (line) => console.log(line),
    sources: internalSources(),
  });
  return 0;
}

async function fetchData(rest: string[], flags: Record<string, unknown>): Promise<number> {
  only(flags, 'out', 'fetch data');
  if (rest[0] !== 'cats-vs-dogs') {
    throw new UsageError(`${rest[0] ? `unknown data set '${rest[0]}'` : 'which data set?'}; ${USAGE}`);
  }
  // fetchCatsVsDogs says where it found or put the split.
  const fetchCatsVsDogs = await loadCatsVsDogs();
  // The test-only map keyed by file name: fetchCatsVsDogs takes its archive's entry from it.
  const sources = internalSources() as FetchCatsVsDogsOptions['sources'];
  await fetchCatsVsDogs({ out: flags.out as string | undefined, log: (line) => console.log(line), sources });
  return 0;
}

/** src/data/cats_vs_dogs.ts, loaded only by `fetch data` (it brings the zip reader along). */
async function loadCatsVsDogs() {
  return (await import('../data/cats_vs_dogs.js')).fetchCatsVsDogs;
}
