// The start of every test's `dawnflow chapter` command line: random weights, --quick, 32x32
// images and a few images a class, so a run lasts seconds on lavapipe. Each test appends the
// epochs, steps and batch sizes it needs.

export function quickChapterArgs(data: string, out: string, limit: number): string[] {
  return [
    'chapter',
    '--data',
    data,
    '--weights',
    'random',
    '--out',
    out,
    '--quick',
    '--target-size',
    '32',
    '--limit',
    String(limit),
  ];
}
