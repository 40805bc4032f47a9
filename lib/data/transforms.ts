// What the exercise does to the images before training: a validation split, scaling to [0, 1], and per-feature
// standardization whose statistics are fitted on the training split only and travel with a saved model.
import { Tensor, tensor } from '../tensor';
import type { Split } from './format';

export interface SplitOptions {
  /** Images that go to validation: a count, or a fraction of the data when in (0, 1). */
  validation: number;
  /**
   * Without a seed the validation set is the FIRST `validation` images and train the rest (both zero-copy
   * views; this is the exercise's reference split: X_train_full[:5000] / [5000:]). With a seed, the validation
   * images are a random subset drawn with that seed (the same on every machine; independent of
   * tn.manualSeed), and each part keeps the original order of its images.
   */
  seed?: number;
}

function checkSplit(op: string, data: unknown): Split {
  const d = data as Split;
  if (typeof data !== 'object' || data === null || !(d.x instanceof Tensor) || !(d.y instanceof Tensor)) {
    throw new TypeError(`${op}: data must be { x: Tensor, y: Tensor }`);
  }
  const n = d.x.shape[0];
  if (n === undefined || d.y.shape[0] !== n) {
    throw new Error(`${op}: x has ${n ?? 'no'} rows but y has ${d.y.shape[0] ?? 'no'}`);
  }
  return d;
}

/** mulberry32: a small, well-mixed 32-bit PRNG; deterministic across platforms. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `{ x, y }` into `{ train, validation }`; see SplitOptions. The inputs are not disposed. */
export function split(data: Split, options: SplitOptions): { train: Split; validation: Split } {
  const { x, y } = checkSplit('split', data);
  if (typeof options !== 'object' || options === null || typeof options.validation !== 'number') {
    throw new TypeError('split: options must be { validation: number, seed?: number }');
  }
  const n = x.shape[0] as number;
  const v = options.validation;
  const count = v > 0 && v < 1 ? Math.round(n * v) : v;
  if (!Number.isInteger(count) || count < 0 || count > n) {
    throw new Error(`split: validation must be a count from 0 to ${n} or a fraction in (0, 1), got ${v}`);
  }
  if (options.seed === undefined) {
    return {
      validation: { x: x.narrow(0, 0, count), y: y.narrow(0, 0, count) },
      train: { x: x.narrow(0, count, n - count), y: y.narrow(0, count, n - count) },
    };
  }
  if (!Number.isInteger(options.seed)) throw new TypeError(`split: seed must be an integer, got ${options.seed}`);
  const random = mulberry32(options.seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  const pick = (indices: Int32Array): Split => {
    const sorted = BigInt64Array.from(indices.sort(), (i) => BigInt(i));
    const index = tensor(sorted, { shape: [sorted.length], dtype: 'int64' });
    try {
      return { x: x.index(index), y: y.index(index) };
    } finally {
      index.dispose();
    }
  };
  return { validation: pick(order.slice(0, count)), train: pick(order.slice(count)) };
}

/** uint8 images → float32 in [0, 1] (x / 255). */
export function scale(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('scale: expected a Tensor');
  const f = x.to('float32');
  try {
    return f.div(255);
  } finally {
    f.dispose();
  }
}

/**
 * Per-feature standardization statistics: a plain JSON-able object (store it with a model, e.g. in its
 * metadata, or as tensors with standardizationToTensors).
 */
export interface Standardization {
  kind: 'standardize';
  /** Shape of one example, e.g. [32, 32, 3] or [3072]; the data it applies to must have the same. */
  featureShape: number[];
  /** Mean of each feature over the fitted examples, row-major over featureShape. */
  mean: number[];
  /** Population standard deviation (ddof 0, like numpy's X.std(axis=0)); 1 where a feature is constant. */
  std: number[];
  /** How many examples the statistics were computed on. */
  count: number;
}

const CHUNK = 5000;

/**
 * Mean and standard deviation of each feature (each position of an example) over the examples of `x`
 * (the training split only: validation and test data are then standardized with the training statistics,
 * as in the exercise's reference solution). Computed in float64, two passes, in chunks of 5,000 rows.
 */
export function fitStandardization(x: Tensor): Standardization {
  if (!(x instanceof Tensor)) throw new TypeError('fitStandardization: expected a Tensor');
  const shape = x.shape;
  const n = shape[0];
  if (n === undefined || n < 1) throw new Error(`fitStandardization: needs at least one example, got shape [${shape}]`);
  const featureShape = shape.slice(1);
  const features = featureShape.reduce((a, b) => a * b, 1);
  const accumulate = (fn: (chunk: Tensor) => Tensor): Float64Array => {
    const total = new Float64Array(features);
    for (let start = 0; start < n; start += CHUNK) {
      const rows = x.narrow(0, start, Math.min(CHUNK, n - start));
      const wide = rows.to('float64');
      const part = fn(wide);
      const sum = part.sum({ dim: 0 });
      const values = sum.toArray() as Float64Array;
      for (let i = 0; i < features; i++) total[i] = (total[i] as number) + (values[i] as number);
      for (const t of [rows, wide, part, sum]) t.dispose(); // dispose is idempotent: part may be wide
    }
    return total;
  };
  const mean = accumulate((chunk) => chunk).map((s) => s / n);
  const meanTensor = tensor(mean, { shape: featureShape, dtype: 'float64' });
  const squares = accumulate((chunk) => {
    const centred = chunk.sub(meanTensor);
    try {
      return centred.square();
    } finally {
      centred.dispose();
    }
  });
  meanTensor.dispose();
  const std = Array.from(squares, (s) => {
    const d = Math.sqrt(s / n);
    return d > 0 ? d : 1;
  });
  return { kind: 'standardize', featureShape, mean: Array.from(mean), std, count: n };
}

/** Checks that a value (e.g. parsed from JSON) is a Standardization; returns it typed. */
export function checkStandardization(value: unknown): Standardization {
  const s = value as Standardization;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    s.kind === 'standardize' &&
    Array.isArray(s.featureShape) &&
    s.featureShape.every((d) => Number.isInteger(d) && d > 0) &&
    Array.isArray(s.mean) &&
    Array.isArray(s.std);
  if (!ok) throw new TypeError("standardization statistics must be { kind: 'standardize', featureShape, mean, std }");
  const features = s.featureShape.reduce((a, b) => a * b, 1);
  if (s.mean.length !== features || s.std.length !== features) {
    throw new Error(
      `standardization statistics: featureShape [${s.featureShape}] has ${features} features but mean has ` +
        `${s.mean.length} and std ${s.std.length}`,
    );
  }
  if (!s.std.every((d) => typeof d === 'number' && d > 0) || !s.mean.every((m) => typeof m === 'number')) {
    throw new Error('standardization statistics: mean must be numbers and std positive numbers');
  }
  return s;
}

/** (x - mean) / std per feature, as float32, same shape as x. x may be uint8 (raw images) or float. */
export function standardize(x: Tensor, stats: Standardization): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('standardize: expected a Tensor');
  checkStandardization(stats);
  const trailing = x.shape.slice(1);
  if (trailing.length !== stats.featureShape.length || trailing.some((d, i) => d !== stats.featureShape[i])) {
    throw new Error(
      `standardize: the statistics are for examples of shape [${stats.featureShape.join(', ')}], ` +
        `got x of shape [${x.shape.join(', ')}]`,
    );
  }
  const mean = tensor(Float32Array.from(stats.mean), { shape: stats.featureShape });
  const std = tensor(Float32Array.from(stats.std), { shape: stats.featureShape });
  const f = x.to('float32');
  const centred = f.sub(mean);
  f.dispose();
  try {
    return centred.div(std);
  } finally {
    for (const t of [centred, mean, std]) t.dispose();
  }
}

/** The statistics as float64 tensors `<prefix>.mean` and `<prefix>.std` (shape featureShape), e.g. to save
 *  beside a model's state dict in one safetensors file. */
export function standardizationToTensors(stats: Standardization, prefix = 'standardize'): Record<string, Tensor> {
  checkStandardization(stats);
  return {
    [`${prefix}.mean`]: tensor(Float64Array.from(stats.mean), { shape: stats.featureShape }),
    [`${prefix}.std`]: tensor(Float64Array.from(stats.std), { shape: stats.featureShape }),
  };
}

/** Inverse of standardizationToTensors (count is not stored in the tensors and comes back as 0). */
export function standardizationFromTensors(dict: Record<string, Tensor>, prefix = 'standardize'): Standardization {
  const mean = dict[`${prefix}.mean`];
  const std = dict[`${prefix}.std`];
  if (!(mean instanceof Tensor) || !(std instanceof Tensor)) {
    throw new Error(`standardization statistics: tensors '${prefix}.mean' and '${prefix}.std' are missing`);
  }
  return checkStandardization({
    kind: 'standardize',
    featureShape: mean.shape,
    mean: Array.from(mean.toArray() as ArrayLike<number>, Number),
    std: Array.from(std.toArray() as ArrayLike<number>, Number),
    count: 0,
  });
}
