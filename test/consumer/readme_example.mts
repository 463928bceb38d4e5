// The example of README.md's "Use it as a library", verbatim from the first import to the end
// (consumer.test.ts checks that the README's code block equals it and type-checks it).
import { Conv2D, Dense, Flatten, init, MaxPooling2D, RMSprop, Sequential, shutdown, Tensor } from 'dawnflow';

await init(); // one Dawn device for the process
const x = Tensor.fromArray(new Float32Array(8 * 32 * 32 * 3).fill(0.5), [8, 32, 32, 3]); // NHWC
const y = Tensor.fromArray([0, 1, 0, 1, 0, 1, 0, 1], [8, 1]);
const conv = new Conv2D({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [32, 32, 3] });
const model = new Sequential({ layers: [conv, new MaxPooling2D(), new Flatten(), new Dense({ units: 1, activation: 'sigmoid' })] });
model.compile({ optimizer: new RMSprop({ lr: 1e-3 }), loss: 'binary_crossentropy', metrics: ['acc'] });
await model.fit(x, y, { epochs: 2, batchSize: 4, validationData: [x, y] });
console.log(await model.predict(x).data()); // a Float32Array of 8 probabilities
await shutdown(); // Dawn keeps Node alive until then
