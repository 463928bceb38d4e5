// profile.trace.json: a kernel profile in the Chrome trace-event format, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open. One process for the run, one track (thread) per
// timeline: the GPU queue with a complete ('X') event per dispatch, named `layer · kernel`, and
// the steps' wall-clock spans beside it. Times are microseconds; the profiled steps are laid end
// to end, since each step's timestamps count from its own first dispatch.
import type { ProfileReport } from '../gpu/profile_run.js';
import type { DispatchRow } from '../gpu/profiler.js';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

const PID = 1;
export const QUEUE_TID = 1;
export const STEPS_TID = 2;

const us = (ms: number): number => Math.round(ms * 1000 * 1000) / 1000;

function meta(name: string, tid: number, value: string): TraceEvent {
  return { name, ph: 'M', pid: PID, tid, args: { name: value } };
}

function dispatchEvent(d: DispatchRow, offsetMs: number): TraceEvent {
  return {
    name: `${d.layer} · ${d.kernel}`,
    cat: d.phase,
    ph: 'X',
    pid: PID,
    tid: QUEUE_TID,
    ts: us(offsetMs + d.startMs),
    dur: us(d.ms),
    args: {
      step: d.step,
      index: d.index,
      kernel: d.kernel,
      layer: d.path,
      phase: d.phase,
      variant: d.variant,
      hash: d.hash,
      grid: d.grid.join('x'),
      workgroup: d.workgroup.join('x'),
      flops: d.flops,
      gflops: d.gflops,
      share: d.share,
    },
  };
}

/** The report as trace events; every track's events are in start order. */
export function profileTrace(r: ProfileReport): TraceFile {
  const events: TraceEvent[] = [
    meta('process_name', 0, `dawnflow profile ${r.workload}`),
    meta('thread_name', QUEUE_TID, `GPU queue (${r.method})`),
    meta('thread_name', STEPS_TID, 'steps (wall clock)'),
  ];
  let offset = 0;
  for (const s of r.steps) {
    const rows = r.dispatches
      .filter((d) => d.step === s.step)
      .sort((a, b) => a.startMs - b.startMs || a.index - b.index);
    const span = Math.max(s.wallMs, ...rows.map((d) => d.startMs + d.ms));
    events.push({
      name: `step ${s.step}`,
      cat: 'step',
      ph: 'X',
      pid: PID,
      tid: STEPS_TID,
      ts: us(offset),
      dur: us(s.wallMs),
      args: { method: s.method, dispatches: s.dispatches, gpuMs: s.gpuMs, cpuMs: s.cpuMs, note: s.note },
    });
    events.push(...rows.map((d) => dispatchEvent(d, offset)));
    offset += span;
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      workload: r.workload,
      created: r.created,
      method: r.method,
      methodNote: r.methodNote,
      adapter: r.adapter,
    },
  };
}
