// `dawnflow weights verify [FILE]`.
import { DEFAULT_WEIGHTS } from '../io/known_files.js';
import { verifyWeights } from '../io/verify_weights.js';
import { UsageError } from './args.js';

export const WEIGHTS_USAGE = `usage: dawnflow weights verify [FILE] (default ${DEFAULT_WEIGHTS})`;

export async function weightsCommand(args: string[]): Promise<number> {
  const [sub, file = DEFAULT_WEIGHTS, ...extra] = args;
  if (sub !== 'verify' || extra.length) throw new UsageError(WEIGHTS_USAGE);
  const v = await verifyWeights(file);
  for (const line of v.lines) console.log(line);
  return v.ok ? 0 : 1;
}
