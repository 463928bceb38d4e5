// JSON text as Keras writes it: Python's json.dumps with its defaults (separators ', ' and ': ',
// non-ASCII escaped, NaN/Infinity as bare words) and floats in Python's repr. Python knows a
// float from an int, JavaScript does not: a number is a float when it has a fraction or sits
// under a key whose value Keras keeps as a Python float (a Dropout rate of 0 is written `0.0`).
// Dict keys keep their insertion order, as Python 3.7+ dicts (and json.dumps) do.

/**
 * Keys whose numbers Keras 2.3 always holds as floats: optimizer hyperparameters (float() of a
 * backend variable, or K.epsilon()), initializer and regularizer settings, layer rates.
 */
const FLOAT_KEYS = new Set([
  'learning_rate',
  'lr',
  'rho',
  'decay',
  'epsilon',
  'beta_1',
  'beta_2',
  'momentum',
  'clipnorm',
  'clipvalue',
  'scale',
  'rate',
  'stddev',
  'mean',
  'minval',
  'maxval',
  'l1',
  'l2',
  'alpha',
]);

/** `value` as Python's json.dumps(value) writes it. */
export function pyJsonDumps(value: unknown): string {
  return dump(value, false);
}

function dump(v: unknown, asFloat: boolean): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return asFloat || !Number.isInteger(v) ? pyFloat(v) : String(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) return `[${v.map((x) => dump(x, asFloat)).join(', ')}]`;
  if (typeof v === 'object') {
    const items = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return `{${items.map(([k, x]) => `${pyString(k)}: ${dump(x, FLOAT_KEYS.has(k))}`).join(', ')}}`;
  }
  throw new Error(`dawnflow: cannot write a ${typeof v} as JSON`);
}

/** A JSON string with everything outside printable ASCII escaped, as ensure_ascii=True does. */
function pyString(s: string): string {
  const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, escapeChar);
}

/**
 * Python's repr of a float: the shortest digits that read back as the same double (JavaScript's
 * toExponential() gives the same ones), in positional form for decimal exponents -4 < e <= 16
 * with at least one decimal, else as d.ddde[+-]XX.
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, e] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(e) + 1; // digits before the decimal point
  const sign = x < 0 ? '-' : '';
  if (point <= -4 || point > 16) {
    const exp = Number(e);
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${rest}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
