#!/usr/bin/env python3
"""h5py's view of an HDF5 file, in the format of the Keras reference dumps.

    h5_layout.py FILE                  print the layout (names, dtypes, shapes, attributes)
    h5_layout.py FILE --compare DUMP   compare it with a dump made the same way (for example
                                       test/fixtures/keras-reference/keras231-model-save/
                                       chapter_model_adam_layout.txt), line by line

A check outside the test suite (CI has no h5py): the suite compares dawnflow's files with the
committed dumps through dawnflow's own reader; this script shows what h5py itself sees. The
comparison sorts every difference into one of: weight values (a dataset's value= only), string
storage (the same text stored as fixed-length or variable-length strings, which depends on the
h5py version that wrote the file: 2.x fixed, 3.x variable) and anything else. Exit status 1 when
there is anything else.
"""
import argparse
import re
import sys

import h5py
import numpy as np

CLIP = 160


def clipped(text):
    return text if len(text) <= CLIP else text[:CLIP] + '...'


def attribute_line(obj, name, indent):
    value = obj.attrs[name]
    tid = obj.attrs.get_id(name).get_type()
    vlen = tid.is_variable_str() if isinstance(tid, h5py.h5t.TypeStringID) else None
    kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
    shape = obj.attrs.get_id(name).shape
    return (f'{indent}@{name}: h5type={type(tid).__name__} vlen={vlen} shape={shape} np={kind} = '
            f'{clipped(repr(value))}')


def dataset_line(name, d, indent):
    line = (f'{indent}{name}: dataset {d.shape} {d.dtype} chunks={d.chunks} '
            f'compression={d.compression}')
    return line + (f' value={d[()]}' if d.size <= 1 else '')


def dump(obj, indent=''):
    lines = [attribute_line(obj, k, indent) for k in obj.attrs.keys()]
    if isinstance(obj, h5py.Group):
        for name, child in obj.items():
            if isinstance(child, h5py.Dataset):
                lines.append(dataset_line(name, child, indent))
                lines += dump_attributes_only(child, indent + '  ')
            else:
                lines.append(f'{indent}{name}/')
                lines += dump(child, indent + '  ')
    return lines


def dump_attributes_only(obj, indent):
    return [attribute_line(obj, k, indent) for k in obj.attrs.keys()]


ENTRY = re.compile(r'^( *)(@?)([\w.-]+(?::\d+)?)(/|: )')


def entries(lines):
    """path -> text, joining the continuation lines of multi-line reprs."""
    out, stack, last = {}, [], None
    for line in lines:
        m = ENTRY.match(line)
        if not m:
            out[last] += '\n' + line
            continue
        depth = len(m.group(1)) // 2
        stack = stack[:depth]
        path = '/'.join(stack + [m.group(2) + m.group(3)])
        if m.group(4) == '/':
            stack.append(m.group(3))
        out[path] = line.strip()
        last = path
    return out


def text_of(entry):
    """An attribute's strings without their storage: b'x' and 'x' alike, no dtype."""
    value = entry.split(' = ', 1)[1]
    value = re.sub(r"\bb'", "'", value)
    value = re.sub(r",\s*dtype=[^)]*\)$", ')', value)
    return re.sub(r'\s+', ' ', value).removesuffix('...')


def classify(mine, ref):
    if mine == ref:
        return 'same'
    strip = lambda s: s.split(' value=', 1)[0]
    if ': dataset ' in ref and strip(mine) == strip(ref):
        return 'weight values'
    if ref.startswith('@') and 'TypeStringID' in ref and 'TypeStringID' in mine:
        a, b = text_of(mine), text_of(ref)
        if a.startswith(b) or b.startswith(a):
            return 'string storage'
    return 'different'


def compare(lines, ref_path):
    with open(ref_path) as f:
        ref = entries(f.read().splitlines())
    mine = entries(lines)
    counts = {}
    for path in sorted(set(ref) | set(mine)):
        if path not in mine or path not in ref:
            kind = 'missing in the file' if path not in mine else 'not in the reference'
        else:
            kind = classify(mine[path], ref[path])
        counts[kind] = counts.get(kind, 0) + 1
        if kind != 'same':
            print(f'{kind}: {path}')
            for who, e in (('  file', mine.get(path)), ('  ref ', ref.get(path))):
                if e is not None:
                    print(f'{who}: {e.splitlines()[0][:150]}')
    print('summary: ' + ', '.join(f'{n} {k}' for k, n in sorted(counts.items())))
    bad = sum(n for k, n in counts.items() if k not in ('same', 'weight values', 'string storage'))
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('file')
    p.add_argument('--compare', metavar='DUMP')
    a = p.parse_args()
    with h5py.File(a.file, 'r') as f:
        lines = dump(f)
    if not a.compare:
        print('\n'.join(lines))
        return 0
    return compare(lines, a.compare)


if __name__ == '__main__':
    sys.exit(main())
