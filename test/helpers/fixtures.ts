// Data files kept in the repository for the tests (test/fixtures/; each folder's PROVENANCE.md
// says where they came from). They are the one source: a missing file fails its test.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** test/fixtures/keras-reference/dl4j: genuine Keras 1.1.2 and 2.3.1 HDF5 files with recorded outputs. */
export const DL4J = join(FIXTURES, 'keras-reference', 'dl4j');

/** test/fixtures/keras-reference/keras-js: per-layer JSON outputs recorded from Keras 2.1. */
export const KERAS_JS = join(FIXTURES, 'keras-reference', 'keras-js');

/** test/fixtures/keras-reference/keras231-model-save: a Keras 2.3.1 `model.save` file with RMSprop state. */
export const KERAS231_MODEL_SAVE = join(FIXTURES, 'keras-reference', 'keras231-model-save');
