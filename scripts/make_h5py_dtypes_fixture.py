#!/usr/bin/env python3
"""Writes test/fixtures/h5py-dtypes/keras_dtypes.h5 with h5py: a Keras save_weights layout whose
optimizer_weights hold every numeric type h5py writes (int64 iterations as Keras 2.2+ stores it,
bool as h5py's enum, unsigned, big-endian and 64-bit integers, float64, a chunked int64) and whose groups and
datasets carry int64, uint8, bool and float64 attributes. Deterministic: no random values.

    /usr/bin/python3 scripts/make_h5py_dtypes_fixture.py [OUT]
"""
import sys

import h5py
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/h5py-dtypes/keras_dtypes.h5'


def extra_attributes(obj):
    obj.attrs['count'] = np.int64(-7)
    obj.attrs['bytes'] = np.array([0, 200, 255], dtype='u1')
    obj.attrs['flag'] = np.bool_(True)
    obj.attrs['flags'] = np.array([True, False])
    obj.attrs['scale'] = np.float64(0.1)


with h5py.File(OUT, 'w', libver='earliest') as f:
    f.attrs['layer_names'] = np.array([b'dense_1', b'flatten_1'])
    f.attrs['backend'] = b'tensorflow'
    f.attrs['keras_version'] = b'2.3.1'
    extra_attributes(f)
    g = f.create_group('dense_1')
    g.attrs['weight_names'] = np.array([b'dense_1/kernel:0', b'dense_1/bias:0'])
    extra_attributes(g)
    kernel = g.create_dataset('dense_1/kernel:0', data=np.arange(6, dtype='f8').reshape(2, 3) / 8)
    extra_attributes(kernel)
    g.create_dataset('dense_1/bias:0', data=np.array([0.5, -1.5, 2.25], dtype='f4'))
    f.create_group('flatten_1').attrs['weight_names'] = np.array([], dtype='f8')
    o = f.create_group('optimizer_weights')
    o.attrs['weight_names'] = np.array([b'Adam/iterations:0', b'flags:0', b'bytes:0', b'big:0',
                                        b'be:0', b'neg:0', b'f64:0', b'chunked:0'])
    o.create_dataset('Adam/iterations:0', data=np.int64(48))
    o.create_dataset('flags:0', data=np.array([True, False, True]))
    o.create_dataset('bytes:0', data=np.array([0, 7, 255], dtype='u1'))
    o.create_dataset('big:0', data=np.array([2**40 + 3, -(2**53)], dtype='i8'))
    o.create_dataset('be:0', data=np.array([1, -2, 300], dtype='>i2'))
    o.create_dataset('neg:0', data=np.array([-5, 6], dtype='i4'))
    o.create_dataset('f64:0', data=np.float64(1) / 3)
    o.create_dataset('chunked:0', data=np.array([2**30, -1, 5], dtype='i8'), chunks=(2,))
print(OUT)
