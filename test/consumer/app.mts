// A consumer of dawnflow's public API, type-checked (never run) by consumer.test.ts. It is .mts
// so that the repository's own tsconfig.test.json (test/**/*.ts) leaves it to that check.
import {
  type Callback,
  CSVLogger,
  type CompileArgs,
  Dense,
  type DenseArgs,
  EarlyStopping,
  type FitOptions,
  init,
  loadModel,
  type Logs,
  RMSprop,
  saveModel,
  Sequential,
  shutdown,
  Tensor,
} from 'dawnflow';

await init();
const dense: DenseArgs = { units: 4, activation: 'relu', inputShape: [3] };
const model = new Sequential({ layers: [new Dense(dense), new Dense({ units: 1, activation: 'sigmoid' })] });
const args: CompileArgs = { optimizer: new RMSprop({ lr: 1e-3 }), loss: 'binary_crossentropy', metrics: ['acc'] };
model.compile(args);

const x = Tensor.fromArray(new Float32Array(8 * 3).fill(0.5), [8, 3]);
const y = Tensor.fromArray([0, 1, 0, 1, 0, 1, 0, 1], [8, 1]);
const batches: number[] = [];
const counter: Callback = { onBatchEnd: (batch: number, logs: Logs) => void batches.push(batch, logs.loss) };
const options: FitOptions<Sequential> = {
  epochs: 2,
  batchSize: 4,
  validationData: [x, y],
  callbacks: [counter, new EarlyStopping({ patience: 1, restoreBestWeights: true }), new CSVLogger('log.csv')],
};
const history = await model.fit(x, y, options);
const loss: number[] = history.history.loss;
const [testLoss, testAcc] = await model.evaluate(x, y, { batchSize: 4 });
const p: Tensor = model.predict(x, { batchSize: 4 });
const values: Float32Array = (await p.data()) as Float32Array;
await saveModel(model, 'model.h5');
const { model: again } = await loadModel('model.h5');
again.summary();
console.log(loss, testLoss, testAcc, values, p.shape);
await shutdown();
