// Measurements shared by the questions: weight-matrix symmetry and rank, sparsity, curves, timing, and a
// plain manual training loop (forward, loss, backward, step) for the questions that change the loss.
import * as tn from '../index';
import type { Dataset } from '../train/types';

/** The first `n` examples (views, no copy). */
export function head(data: Dataset, n: number): Dataset {
  const rows = Math.min(n, data.x.shape[0] as number);
  return { x: data.x.narrow(0, 0, rows), y: data.y.narrow(0, 0, rows) };
}

/** The 2-D weight matrices of a model ('0.weight', '2.weight', ...), in order. */
export function kernels(model: tn.nn.Module): [string, tn.Tensor][] {
  return model.namedParameters().filter(([name, p]) => name.endsWith('weight') && p.shape.length === 2);
}

export interface RowSymmetry {
  units: number;
  /** Largest Euclidean distance between two units' incoming weight vectors (rows of W). */
  maxPairwiseDistance: number;
  /** maxPairwiseDistance over the mean row norm: 0 for identical units, about 1.4 for independent random ones. */
  relativeSpread: number;
  /** Rows farther than 1e-4 x the mean row norm (Euclidean) from every earlier row: float32 rounding is not a new unit. */
  distinctRows: number;
  /** Rows that differ from every earlier row by more than `tolerance` (default 1e-6) in some entry. */
  distinctRowsAbsolute: number;
  /** Numerical rank: rows whose Gram-Schmidt residual exceeds 1e-4 of the largest row norm. */
  rank: number;
}

/** How alike the units of one layer are: pairwise distances, distinct rows, numerical rank. */
export function rowSymmetry(weight: tn.Tensor, tolerance = 1e-6): RowSymmetry {
  const [m = 0, n = 0] = weight.shape;
  const w = Float64Array.from(weight.toArray() as Float32Array);
  const row = (i: number) => w.subarray(i * n, (i + 1) * n);
  let meanNorm = 0;
  for (let i = 0; i < m; i++) meanNorm += Math.hypot(...row(i)) / m;
  const distance: number[][] = [];
  const maxAbs: number[][] = [];
  let maxDistance = 0;
  for (let i = 0; i < m; i++) {
    const a = row(i);
    distance.push([]);
    maxAbs.push([]);
    for (let j = 0; j < i; j++) {
      const b = row(j);
      let sq = 0;
      let big = 0;
      for (let k = 0; k < n; k++) {
        const d = (a[k] as number) - (b[k] as number);
        sq += d * d;
        if (Math.abs(d) > big) big = Math.abs(d);
      }
      distance[i]!.push(Math.sqrt(sq));
      maxAbs[i]!.push(big);
      maxDistance = Math.max(maxDistance, Math.sqrt(sq));
    }
  }
  const count = (same: (i: number, j: number) => boolean) => {
    let distinct = 0;
    for (let i = 0; i < m; i++) {
      let isNew = true;
      for (let j = 0; j < i && isNew; j++) if (same(i, j)) isNew = false;
      if (isNew) distinct++;
    }
    return distinct;
  };
  return {
    units: m,
    maxPairwiseDistance: maxDistance,
    relativeSpread: meanNorm > 0 ? maxDistance / meanNorm : 0,
    distinctRows: count((i, j) => (distance[i]![j] as number) <= 1e-4 * meanNorm),
    distinctRowsAbsolute: count((i, j) => (maxAbs[i]![j] as number) <= tolerance),
    rank: numericalRank(w, m, n),
  };
}

/** Rank of an m x n row-major matrix by modified Gram-Schmidt on its rows, relative tolerance `rtol`. */
export function numericalRank(w: Float64Array, m: number, n: number, rtol = 1e-4): number {
  const basis: Float64Array[] = [];
  let largest = 0;
  for (let i = 0; i < m; i++) {
    let norm = 0;
    for (let k = 0; k < n; k++) norm += (w[i * n + k] as number) ** 2;
    largest = Math.max(largest, Math.sqrt(norm));
  }
  if (largest === 0) return 0;
  for (let i = 0; i < m && basis.length < Math.min(m, n); i++) {
    const v = Float64Array.from(w.subarray(i * n, (i + 1) * n));
    for (const q of basis) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += (v[k] as number) * (q[k] as number);
      for (let k = 0; k < n; k++) v[k] = (v[k] as number) - dot * (q[k] as number);
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += (v[k] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm > rtol * largest) {
      for (let k = 0; k < n; k++) v[k] = (v[k] as number) / norm;
      basis.push(v);
    }
  }
  return basis.length;
}

export interface Sparsity {
  weights: number;
  /** Share of weights exactly 0. */
  exactZero: number;
  /** Share with |w| < 1e-3. */
  belowAbs: number;
  /** Share with |w| < 1 % of its layer's largest |w|. */
  belowRel: number;
}

/** Sparsity of all kernel weights of a model (biases excluded). */
export function sparsity(model: tn.nn.Module, absolute = 1e-3, relative = 0.01): Sparsity {
  let total = 0;
  let zero = 0;
  let small = 0;
  let rel = 0;
  for (const [, w] of kernels(model)) {
    const values = w.toArray() as Float32Array;
    let max = 0;
    for (const v of values) max = Math.max(max, Math.abs(v));
    for (const v of values) {
      const a = Math.abs(v);
      if (a === 0) zero++;
      if (a < absolute) small++;
      if (a < relative * max) rel++;
    }
    total += values.length;
  }
  return { weights: total, exactZero: zero / total, belowAbs: small / total, belowRel: rel / total };
}

/** Moving average over `window` entries (shorter at the start). */
export function smooth(values: ArrayLike<number>, window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] as number;
    if (i >= window) sum -= values[i - window] as number;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

export interface CurveSummary {
  steps: number;
  first: number;
  final: number;
  max: number;
  /** The smoothed curve's minimum. */
  min: number;
  /** Step (0-based) of the smoothed minimum. */
  minStep: number;
  /** Largest rise of the smoothed loss above its minimum after the minimum. */
  climbAfterMin: number;
  /** A loss was not finite, or the final smoothed loss is above the first. */
  diverged: boolean;
  /** Times the smoothed curve changes direction by more than 1 % of its range (a measure of oscillation). */
  directionChanges: number;
}

/** Summary of a (batch) loss curve, on a moving average so batch noise does not count as oscillation. */
export function summarizeCurve(losses: ArrayLike<number>, window = 10): CurveSummary {
  const raw = Array.from(losses);
  const finite = raw.every(Number.isFinite);
  const s = smooth(
    raw.map((v) => (Number.isFinite(v) ? v : Number.MAX_VALUE)),
    window,
  );
  let minStep = 0;
  s.forEach((v, i) => {
    if (v < (s[minStep] as number)) minStep = i;
  });
  const min = s[minStep] as number;
  const after = s.slice(minStep);
  const range = Math.max(...s) - min;
  let changes = 0;
  let direction = 0;
  let anchor = s[0] as number;
  for (const v of s) {
    if (direction >= 0 && v < anchor - 0.01 * range) {
      if (direction > 0) changes++;
      direction = -1;
      anchor = v;
    } else if (direction <= 0 && v > anchor + 0.01 * range) {
      if (direction < 0) changes++;
      direction = 1;
      anchor = v;
    } else if ((direction > 0 && v > anchor) || (direction < 0 && v < anchor)) anchor = v;
  }
  const final = raw.at(-1) ?? NaN;
  return {
    steps: raw.length,
    first: raw[0] ?? NaN,
    final,
    max: raw.reduce((a, b) => (Number.isNaN(b) ? Infinity : Math.max(a, b)), -Infinity),
    min,
    minStep,
    climbAfterMin: Math.max(...after) - min,
    diverged: !finite || (s.at(-1) as number) > (s[0] as number),
    directionChanges: changes,
  };
}

/** Median of the wall times (seconds) of `repeats` runs of `fn`, after one warm-up run (unless `warmUp` is false). */
export async function medianSeconds(fn: () => Promise<unknown> | unknown, repeats = 5, warmUp = true): Promise<number> {
  if (warmUp) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return median(times);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface ManualLoopOptions {
  epochs: number;
  batchSize: number;
  /** Extra loss term added to the data loss (e.g. an L1 penalty); gets the model. */
  penalty?: (model: tn.nn.Module) => tn.Tensor;
  /** Runs after every optimizer step (e.g. to re-apply a pruning mask). */
  afterStep?: () => void;
  /** The data loss; default cross-entropy of the logits. */
  loss?: (output: tn.Tensor, target: tn.Tensor) => tn.Tensor;
}

/** The loop that tn.fit runs in C++, written out: for the questions that add to the loss or edit weights. */
export function manualTrain(
  model: tn.nn.Module,
  optimizer: { step(): void; zeroGrad(): void },
  data: Dataset,
  options: ManualLoopOptions,
): { epochLosses: number[] } {
  const n = data.x.shape[0] as number;
  const lossFn = options.loss ?? tn.nn.functional.crossEntropy;
  const epochLosses: number[] = [];
  model.train();
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    using order = tn.randperm(n);
    let sum = 0;
    let batches = 0;
    for (let start = 0; start < n; start += options.batchSize) {
      using idx = order.narrow(0, start, Math.min(options.batchSize, n - start));
      using x = data.x.index(idx);
      using y = data.y.index(idx);
      using output = model.forward(x);
      using dataLoss = lossFn(output, y);
      sum += dataLoss.item();
      batches++;
      if (options.penalty) {
        using extra = options.penalty(model);
        using total = dataLoss.add(extra);
        total.backward();
      } else {
        dataLoss.backward();
      }
      optimizer.step();
      optimizer.zeroGrad();
      options.afterStep?.();
    }
    epochLosses.push(sum / batches);
  }
  return { epochLosses };
}

/** Formats a number for a table: 4 significant digits, exponent form when very small or large. */
export function fmt(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a >= 1e5 || a < 1e-3) return value.toExponential(digits - 2);
  return Number(value.toPrecision(digits)).toString();
}

/** A share as a percentage: 0.1234 -> '12.3 %'. */
export function pct(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)} %`;
}
