// The `jpeg` section of bench/RESULTS.md, from a JpegFidelityReport (bench/jpeg_fidelity.ts).
import type { JpegFidelityReport } from './jpeg_fidelity.js';

const f = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '-');

export function jpegSection(r: JpegFidelityReport, date: string, command: string): string {
  const m = r.machine;
  const load = m.load === undefined ? '' : `, load average ${f(m.load, 1)} at the start`;
  const rows = r.decoders.map(
    (d) =>
      `| ${d.decoder} | ${d.maxDiff} | ${f(d.meanDiff, 4)} | ` +
      `${f(d.exactPixelsPct, 2)}% | ${d.exactImages} / ${r.images} | ${d.disagreements.length} | ` +
      `${f(d.imagesPerSec, 1)} |`,
  );
  const odd = r.decoders
    .filter((d) => d.disagreements.length)
    .map((d) => {
      const more = d.disagreements.length > 5 ? ` and ${d.disagreements.length - 5} more` : '';
      return `- ${d.decoder} and PIL disagree on decodability or size: ${d.disagreements.slice(0, 5).join(', ')}${more}`;
    });
  const p = r.pipeline;
  const pipeline = p
    ? [
        '',
        `Input pipeline with the new decoder (\`measurePipeline\`, ${p.images} images of ` +
          `\`${p.dir}\`, read, decoded and resized to 150x150 by ${p.threads} worker threads, cold): ` +
          `**${f(p.coldImagesPerSec, 1)} images/s**.`,
      ]
    : [];
  return [
    '## JPEG decoding against PIL',
    '',
    `Machine: ${m.cpu} (${m.cores} cores${load}), ` +
      `no GPU used; Node ${m.node}.  \nDate: ${date}.  \n` +
      `Command: \`${command}\``,
    '',
    `${r.images} JPEGs under \`${r.data}\` (PIL refused ${r.pilRefused}); the oracle is Keras's load_img decode, ` +
      `PIL ${r.pil.version}'s \`Image.open(f).convert('RGB')\`, in one /usr/bin/python3 process. ` +
      'Differences are over every sample of every image, compared before any timing; images/s is one thread ' +
      `decoding the files from memory, the median of ${r.repeat} interleaved passes.`,
    '',
    '| decoder | max difference | mean difference | exact pixels | exact images | disagreements | images/s |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| PIL ${r.pil.version} (libjpeg-turbo, the oracle) | 0 | 0 | 100% | ${r.images - r.pilRefused} / ` +
      `${r.images} | - | ${f(r.pil.imagesPerSec, 1)} |`,
    ...(odd.length ? ['', ...odd] : []),
    ...pipeline,
  ].join('\n');
}
