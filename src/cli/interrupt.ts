// Ctrl-C during `dawnflow chapter`: one line saying how far the run got and how to go on, then
// exit 130 (128 + SIGINT, what a shell expects). Exiting at once keeps the resume guarantee:
// every file of a run is written to a temp file and renamed, and state.json is the commit point,
// so a stop at any moment leaves what a SIGKILL would (test/faults/resume_kill.test.ts): the next
// run drops the temp files and resumes after the last epoch state.json names.
import { loadState, PHASES, type RunState } from '../apps/chapter_state.js';
import { fitProgress } from '../nn/fit.js';
import { closeOpenLine } from '../nn/progbar.js';

/** Ends a progress line left open (a bar on stdout, or a redrawn one on a terminal). */
function endOpenLine(): void {
  if (!closeOpenLine() && process.stderr.isTTY) process.stderr.write('\n');
}

/** `epochs[phase]`: the run's epochs per phase, in order. */
export function interruptedLine(state: RunState | null, epochs: Record<string, number>): string {
  const resume = 'run the same command to resume';
  const phase = PHASES.find((p) => (state?.phases[p].epochsDone ?? 0) < epochs[p]);
  if (!phase) return `interrupted after the last epoch (before the test and report); ${resume}`;
  const done = state?.phases[phase].epochsDone ?? 0;
  return `interrupted after epoch ${done} of ${epochs[phase]} (${phase}); ${resume}`;
}

/** Installs the handler for a run in `out`; returns its removal. */
export function onInterrupt(out: string, epochs: Record<string, number>): () => void {
  const handler = () => {
    let state: RunState | null = null;
    try {
      state = loadState(out);
    } catch {
      // A damaged state.json is reported by the next run; the line still says how to go on.
    }
    endOpenLine();
    console.error(`dawnflow: ${interruptedLine(state, epochs)}`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/**
 * The line for a command that trains without resuming (feature-extraction, transfer, fine-tune,
 * scratch): how far it got, and that a rerun starts over. Nothing it wrote is half-written: files
 * go through a temp name and a rename.
 */
export function interruptedFitLine(command: string, at: { epoch: number; epochs: number } | null): string {
  const where = at ? `in epoch ${at.epoch + 1} of ${at.epochs}` : 'before training began';
  return `interrupted ${where}; '${command}' does not resume, so running it again starts over ('dawnflow chapter' resumes)`;
}

/** Installs the Ctrl-C line of a non-resuming training command; returns its removal. */
export function onInterruptFit(command: string): () => void {
  const handler = () => {
    endOpenLine();
    console.error(`dawnflow: ${interruptedFitLine(command, fitProgress())}`);
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
