// Keras 2.x auto-naming: a per-process counter per prefix, starting at 1 (`dense_1`, `dense_2`,
// `conv2d_1`, `input_1`, `sequential_1`). The prefix is the snake_case class name, as Keras's
// `to_snake_case` makes it (MaxPooling2D -> max_pooling2d, Conv2D -> conv2d).
const counters = new Map<string, number>();

export function snakeCase(className: string): string {
  const s = className.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2');
  return s.toLowerCase();
}

export function uniqueName(prefix: string): string {
  const n = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, n);
  return `${prefix}_${n}`;
}

/** Like K.clear_session(): names start again from 1. */
export function resetNames(): void {
  counters.clear();
}
