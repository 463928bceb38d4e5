// Fault-injection points for the crash, resume and device-loss suite (test/faults, `npm run
// test:faults`). Inert unless one of these settings (src/util/settings.ts) names a point:
//
//   DAWNFLOW_FAULT_PAUSE_IN=point[@n][,point[@n]...]
//     at the n-th hit (default 1) of `point` in this process, print
//     `dawnflow-fault: paused in <point> #<n> (<detail>)` on stderr, then sleep
//     DAWNFLOW_FAULT_PAUSE_MS (default 60000) so that a test can SIGKILL the process right there.
//   DAWNFLOW_FAULT_LOSE_DEVICE_IN=point[@n]
//     at the n-th hit, the caller destroys the GPU device as a driver reset would.
//
// Points: `train-step` (a batch's forward and backward are encoded, its update is not),
// `checkpoint-write` (an .h5 temp file is written and synced, not yet renamed into place),
// `state-write` (state.json's temp file is synced, not yet renamed).
import { writeSync } from 'node:fs';
import { setting } from './settings.js';

type Spec = Map<string, number>;

function parse(text: string | undefined): Spec {
  const spec: Spec = new Map();
  for (const part of (text ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [point, n] = part.split('@');
    spec.set(point, n === undefined ? 1 : Number(n));
  }
  return spec;
}

// Parsed at the first point, not at import: an invalid spec then fails inside the command,
// which reports it as one line, instead of while modules load.
let specs: { pauses: Spec; losses: Spec } | null = null;
const hits = new Map<string, number>();

function faults(): { pauses: Spec; losses: Spec } {
  specs ??= {
    pauses: parse(setting('DAWNFLOW_FAULT_PAUSE_IN') ?? undefined),
    losses: parse(setting('DAWNFLOW_FAULT_LOSE_DEVICE_IN') ?? undefined),
  };
  return specs;
}

// A blocking sleep: the process must stay exactly at the point, with no other work running.
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Marks `point`. Serves a configured pause here; returns 'lose-device' when the caller should
 * destroy the device now. One map lookup when no fault is configured.
 */
export function faultPoint(point: string, detail = ''): 'lose-device' | null {
  const { pauses, losses } = faults();
  if (pauses.size === 0 && losses.size === 0) return null;
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  if (pauses.get(point) === n) {
    writeSync(2, `dawnflow-fault: paused in ${point} #${n}${detail ? ` (${detail})` : ''}\n`);
    sleepSync(setting('DAWNFLOW_FAULT_PAUSE_MS'));
  }
  return losses.get(point) === n ? 'lose-device' : null;
}
