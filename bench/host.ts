// The CPU a bench ran on, for its report: on a software adapter it is the device, and the same
// VM size comes on different CPUs from week to week (AVX2 one week, AVX-512 the next), which
// moves every ratio to a native peer. From /proc/cpuinfo where there is one (Linux), else the
// model name Node reports.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** "AMD EPYC (family 26, model 2; AVX-512)" from cpuinfo's first processor block, or null. */
export function describeCpuinfo(text: string): string | null {
  const block = text.split(/\n\s*\n/)[0];
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1].trim();
  const model = field('model name');
  if (!model) return null;
  const family = field('cpu family');
  const number = field('model');
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const vector = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : null;
  const id = family && number ? `family ${family}, model ${number}` : null;
  const details = [id, vector].filter(Boolean).join('; ');
  return details ? `${model} (${details})` : model;
}

/** This machine's CPU as describeCpuinfo gives it, else Node's model name. */
export function hostCpu(): string {
  try {
    const d = describeCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
    if (d) return d;
  } catch {
    // Not Linux: fall through.
  }
  return cpus()[0]?.model?.trim() || 'unknown';
}
