// Keras 2.3's model.summary() for sequential-like models: width 65, columns ending at 29 and 55
// (int(65 * .45), int(65 * .85)), rule lines of _ and =, counts with thousands separators.
import { shapeString, type Layer, type Variable } from './layer.js';

const WIDTH = 65;
const STOPS = [29, 55, 65];

interface SummaryModel {
  name: string;
  layers: Layer[];
  trainableWeights: Variable[];
  nonTrainableWeights: Variable[];
  collectedTrainableWeights: Variable[] | null;
}

/** Keras's print_row: each field is cut at its stop and padded to it; the char before a field is a space. */
export function summaryRow(fields: string[]): string {
  let line = '';
  fields.forEach((f, i) => {
    if (i > 0) line = `${line.slice(0, -1)} `;
    line = (line + f).slice(0, STOPS[i]);
    line += ' '.repeat(STOPS[i] - line.length);
  });
  return line;
}

const count = (vs: Variable[]) => vs.reduce((n, v) => n + v.value.size, 0);
const grouped = (n: number) => n.toLocaleString('en-US');

export function formatSummary(model: SummaryModel): string {
  const out = [
    `Model: "${model.name}"`,
    '_'.repeat(WIDTH),
    summaryRow(['Layer (type)', 'Output Shape', 'Param #']),
    '='.repeat(WIDTH),
  ];
  model.layers.forEach((l, i) => {
    out.push(
      summaryRow([`${l.name} (${l.className})`, shapeString(l.outputShape), String(l.built ? l.countParams() : 0)]),
    );
    out.push((i === model.layers.length - 1 ? '=' : '_').repeat(WIDTH));
  });
  // Keras 2.3 counts trainable params from the weights collected at compile() when compiled.
  const trainable = count(model.collectedTrainableWeights ?? model.trainableWeights);
  const frozen = count(model.nonTrainableWeights);
  out.push(
    `Total params: ${grouped(trainable + frozen)}`,
    `Trainable params: ${grouped(trainable)}`,
    `Non-trainable params: ${grouped(frozen)}`,
    '_'.repeat(WIDTH),
  );
  return out.join('\n');
}
