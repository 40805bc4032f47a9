// Small synthetic problems for the training-engine tests (fit, inference, checkpoints).
import * as tn from '../../lib/index';

export interface Problem {
  x: tn.Tensor;
  y: tn.Tensor;
}

/** A separable `classes`-class problem: well-separated centers plus small Gaussian noise, seeded. */
export function blobs(n: number, features = 20, classes = 10, seed = 1, noise = 0.3): Problem {
  tn.manualSeed(seed);
  const centers = tn.randn([classes, features]).mul(2);
  const labels = Array.from({ length: n }, (_, i) => i % classes);
  const y = tn.tensor(labels, { dtype: 'int64' });
  const rows = Float32Array.from(centers.toArray() as Float32Array);
  const jitter = tn.randn([n, features]).mul(noise).toArray() as Float32Array;
  const x = new Float32Array(n * features);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++)
      x[i * features + j] = rows[labels[i]! * features + j]! + jitter[i * features + j]!;
  }
  return { x: tn.tensor(x, { shape: [n, features] }), y };
}

/** Labels drawn at random (nothing to learn: a validation set whose loss rises as the model grows confident). */
export function randomLabels(n: number, classes = 10, seed = 7): tn.Tensor {
  let a = seed >>> 0;
  const labels = Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a % classes;
  });
  return tn.tensor(labels, { dtype: 'int64' });
}

export type Variant = 'elu' | 'bn' | 'selu' | 'alpha-dropout' | 'dropout-relu' | 'plain';

/** The exercise's layer patterns at toy size. */
export function mlp(variant: Variant, features = 20, hidden = 32, depth = 3, classes = 10, seed = 3): tn.nn.Sequential {
  tn.manualSeed(seed);
  const layers: tn.nn.Module[] = [];
  const selu = variant === 'selu' || variant === 'alpha-dropout';
  if (variant === 'bn') layers.push(new tn.nn.BatchNorm1d(features, { momentum: 0.01, eps: 1e-3 }));
  let inF = features;
  for (let i = 0; i < depth; i++) {
    layers.push(new tn.nn.Linear(inF, hidden, { kernelInitializer: selu ? 'lecun_normal' : 'he_normal' }));
    inF = hidden;
    if (variant === 'bn') layers.push(new tn.nn.BatchNorm1d(hidden, { momentum: 0.01, eps: 1e-3 }));
    if (variant === 'dropout-relu') layers.push(new tn.nn.ReLU(), new tn.nn.Dropout(0.2));
    else layers.push(selu ? new tn.nn.SELU() : new tn.nn.ELU());
  }
  if (variant === 'alpha-dropout') layers.push(new tn.nn.AlphaDropout(0.1));
  layers.push(new tn.nn.Linear(inF, classes));
  return new tn.nn.Sequential(layers);
}

/** Every parameter and buffer as a flat copy, by name. */
export function weights(model: tn.nn.Module): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, t]) => [
      k,
      Array.from(t.toArray() as ArrayLike<number | bigint>, Number),
    ]),
  );
}

/** The largest absolute difference between two weight sets (Infinity when their keys differ). */
export function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  const keys = Object.keys(a);
  if (keys.join() !== Object.keys(b).join()) return Infinity;
  let worst = 0;
  for (const k of keys) {
    const u = a[k]!;
    const v = b[k]!;
    if (u.length !== v.length) return Infinity;
    for (let i = 0; i < u.length; i++) {
      const d = Math.abs(u[i]! - v[i]!);
      if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
    }
  }
  return worst;
}

/** History without its wall-clock fields, for bit-for-bit comparisons. */
export function timeless(h: tn.History): unknown {
  const { seconds: _s, threads: _t, ...rest } = h as tn.History & { threads?: unknown };
  return {
    ...rest,
    epochs: h.epochs.map(({ seconds: _es, ...e }) => e),
    batchLosses: h.batchLosses ? Array.from(h.batchLosses) : undefined,
    batchLrs: h.batchLrs ? Array.from(h.batchLrs) : undefined,
  };
}
