// The example of docs/library.md, verbatim from the first import to the end (consumer.test.ts
// checks that the doc's code block equals it and type-checks it against the built package).
import {
  Adam,
  CHAPTER_AUGMENTATION,
  Conv2D,
  CSVLogger,
  chapterModel,
  Dense,
  EarlyStopping,
  Flatten,
  freezeBase,
  ImageDataGenerator,
  init,
  loadModel,
  MaxPooling2D,
  ModelCheckpoint,
  RMSprop,
  Sequential,
  saveModel,
  setSeed,
  shutdown,
  Tensor,
  vgg16,
} from 'dawnflow';

await init(); // one Dawn device for the process
setSeed(1); // weight draws and shuffles repeat run to run

// 1. A small convnet on tensors (NHWC float32 on the GPU; labels [n, 1]).
const n = 64;
const x = Tensor.fromArray(Float32Array.from({ length: n * 32 * 32 * 3 }, () => Math.random()), [n, 32, 32, 3]);
const y = Tensor.fromArray(Float32Array.from({ length: n }, (_, i) => i % 2), [n, 1]);
const model = new Sequential({
  layers: [
    new Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [32, 32, 3] }),
    new MaxPooling2D({ poolSize: 2 }),
    new Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
    new MaxPooling2D({ poolSize: 2 }),
    new Flatten(),
    new Dense({ units: 64, activation: 'relu' }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ optimizer: new RMSprop({ lr: 1e-4 }), loss: 'binary_crossentropy', metrics: ['acc'] });
model.summary();

const history = await model.fit(x, y, {
  epochs: 10,
  batchSize: 16,
  validationData: [x, y],
  callbacks: [
    new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true }),
    new CSVLogger('runs/small.csv'),
    new ModelCheckpoint({
      filepath: 'runs/small-{epoch}.h5',
      saveBestOnly: true,
      save: (path, m) => saveModel(m, path),
    }),
    { onBatchEnd: (batch, logs) => void (batch === 0 && console.log('first batch loss', logs.loss)) },
  ],
});
console.log(history.history.val_acc);

const [loss, acc] = await model.evaluate(x, y, { batchSize: 16 });
const p = model.predict(x, { batchSize: 16 }); // a Tensor [64, 1], still on the GPU
const probs = (await p.data()) as Float32Array; // readbacks are the only awaits
console.log(loss, acc, p.shape, probs[0]);
p.dispose();

await saveModel(model, 'runs/small.h5'); // Keras 2.3 layout, optimizer state included
const { model: again } = await loadModel('runs/small.h5'); // compiled, ready to go on training
again.summary();

// 2. The chapter's transfer learning: VGG16 with ImageNet weights, images from folders.
const base = vgg16({
  inputShape: [150, 150, 3],
  weights: 'weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', // `dawnflow fetch weights`
});
const net = chapterModel(base); // base -> Flatten -> Dense 256 relu -> Dense 1 sigmoid
freezeBase(base);
net.compile({ optimizer: new Adam({ lr: 2e-4 }), loss: 'binary_crossentropy', metrics: ['acc'] });

const augmented = new ImageDataGenerator({ rescale: 1 / 255, ...CHAPTER_AUGMENTATION });
const plain = new ImageDataGenerator({ rescale: 1 / 255 });
const flow = { targetSize: [150, 150] as [number, number], batchSize: 20, classMode: 'binary' as const };
const dir = 'data/cats_and_dogs_small';
const train = augmented.flowFromDirectory(`${dir}/train`, { ...flow, seed: 1 });
const validation = plain.flowFromDirectory(`${dir}/validation`, flow);
const test = plain.flowFromDirectory(`${dir}/test`, { ...flow, shuffle: false });

await net.fit(train, { epochs: 30, stepsPerEpoch: 100, validationData: validation, validationSteps: 50 });
const [testLoss, testAcc] = await net.evaluate(test, { steps: test.batchesPerPass });
console.log('test acc:', testAcc, testLoss);
for (const it of [train, validation, test]) await it.close(); // stops the decode workers

await shutdown(); // Dawn keeps Node alive until then
