// The Keras weight files dawnflow knows: their md5 as keras.applications checks it
// (keras-applications 1.0.8, vgg16.py), what they hold, and where Keras downloads them from.
export interface KnownFile {
  md5: string;
  includeTop: boolean;
  params: number;
  url: string;
}

/** keras-applications' WEIGHTS_PATH / WEIGHTS_PATH_NO_TOP: the GitHub release v0.1 assets. */
const RELEASE = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.1/';

export const KNOWN_WEIGHTS: Record<string, KnownFile> = {
  'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5': {
    md5: '6d6bbae143d832006294945121d1f1fc',
    includeTop: false,
    params: 14714688,
    url: `${RELEASE}vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`,
  },
  'vgg16_weights_tf_dim_ordering_tf_kernels.h5': {
    md5: '64373286793e3c8b2b4e3219cbf3544b',
    includeTop: true,
    params: 138357544,
    url: `${RELEASE}vgg16_weights_tf_dim_ordering_tf_kernels.h5`,
  },
};

export const DEFAULT_WEIGHTS = 'weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';
