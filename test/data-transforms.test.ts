// split, scale and per-feature standardization, against values computed here in plain JS (float64).
import test from 'ava';
import {
  fitStandardization,
  scale,
  split,
  standardizationFromTensors,
  standardizationToTensors,
  standardize,
} from '../lib/data';
import { tensor } from '../lib/tensor';

function rows(n: number, features: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n * features);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = (s >>> 16) & 255;
  }
  return out;
}

function numbers(x: { toArray(): ArrayLike<number | bigint> }): number[] {
  return Array.from(x.toArray(), Number);
}

test('split without a seed: the first N are validation, the rest train (like X_train_full[:5000])', (t) => {
  const x = tensor(rows(10, 6), { shape: [10, 2, 3] });
  const y = tensor(
    BigInt64Array.from({ length: 10 }, (_, i) => BigInt(i)),
    { shape: [10] },
  );
  const { train, validation } = split({ x, y }, { validation: 3 });
  t.deepEqual(numbers(validation.y), [0, 1, 2]);
  t.deepEqual(numbers(train.y), [3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(validation.x.shape, [3, 2, 3]);
  t.deepEqual(numbers(train.x), numbers(x).slice(18));
  t.deepEqual(numbers(split({ x, y }, { validation: 0.2 }).validation.y), [0, 1]);
  t.throws(() => split({ x, y }, { validation: 11 }), {
    message: /validation must be a count from 0 to 10 or a fraction/,
  });
  t.throws(() => split({ x, y: y.narrow(0, 0, 9) }, { validation: 1 }), { message: /x has 10 rows but y has 9/ });
  t.throws(() => split({ x, y }, undefined as never), { instanceOf: TypeError });
});

test('split with a seed: a deterministic random subset, each part in original order, together a partition', (t) => {
  const n = 1000;
  const x = tensor(
    Float32Array.from({ length: n * 2 }, (_, i) => Math.floor(i / 2)),
    { shape: [n, 2] },
  );
  const y = tensor(
    BigInt64Array.from({ length: n }, (_, i) => BigInt(i)),
    { shape: [n] },
  );
  const a = split({ x, y }, { validation: 100, seed: 7 });
  const b = split({ x, y }, { validation: 100, seed: 7 });
  const c = split({ x, y }, { validation: 100, seed: 8 });
  const va = numbers(a.validation.y);
  t.deepEqual(va, numbers(b.validation.y));
  t.notDeepEqual(va, numbers(c.validation.y));
  t.deepEqual(
    va,
    [...va].sort((p, q) => p - q),
  );
  t.notDeepEqual(
    va,
    Array.from({ length: 100 }, (_, i) => i),
    'not the first 100',
  );
  const all = [...va, ...numbers(a.train.y)].sort((p, q) => p - q);
  t.deepEqual(
    all,
    Array.from({ length: n }, (_, i) => i),
  );
  // x rows travel with their labels.
  t.deepEqual(
    numbers(a.validation.x).filter((_, i) => i % 2 === 0),
    va,
  );
});

test('scale: uint8 to float32 in [0, 1]', (t) => {
  const s = scale(tensor(new Uint8Array([0, 51, 255]), { shape: [1, 3] }));
  t.is(s.dtype, 'float32');
  t.deepEqual(
    numbers(s).map((v) => Math.round(v * 1e6) / 1e6),
    [0, 0.2, 1],
  );
});

test('fitStandardization: population mean/std per feature over all rows (chunks included), train stats applied to others', (t) => {
  const n = 5_003; // crosses the 5,000-row chunk
  const shape = [2, 3];
  const data = rows(n, 6, 3);
  for (let i = 0; i < n; i++) data[i * 6 + 5] = 42; // a constant feature: std 1
  const x = tensor(data, { shape: [n, ...shape] });
  const stats = fitStandardization(x);
  t.deepEqual(stats.featureShape, shape);
  t.is(stats.count, n);
  for (let f = 0; f < 6; f++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += data[i * 6 + f] as number;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += ((data[i * 6 + f] as number) - mean) ** 2;
    const std = f === 5 ? 1 : Math.sqrt(sq / n);
    t.true(Math.abs((stats.mean[f] as number) - mean) < 1e-9, `mean ${f}`);
    t.true(Math.abs((stats.std[f] as number) - std) < 1e-9, `std ${f}`);
  }
  const other = tensor(new Uint8Array([1, 2, 3, 4, 5, 6]), { shape: [1, 2, 3] });
  const z = standardize(other, stats);
  t.is(z.dtype, 'float32');
  t.deepEqual(z.shape, [1, 2, 3]);
  numbers(z).forEach((v, f) =>
    t.true(Math.abs(v - (f + 1 - (stats.mean[f] as number)) / (stats.std[f] as number)) < 1e-5),
  );
  // Standardized training data has mean 0 and std 1 on each varying feature.
  const zt = standardize(x, stats);
  const m = numbers(zt.mean({ dim: 0 }));
  m.slice(0, 5).forEach((v) => t.true(Math.abs(v) < 1e-4));
  t.throws(() => standardize(tensor(new Uint8Array(6), { shape: [1, 6] }), stats), {
    message: /statistics are for examples of shape \[2, 3\], got x of shape \[1, 6\]/,
  });
});

test('standardization statistics survive JSON and tensors round-trips', (t) => {
  const x = tensor(rows(50, 4, 5), { shape: [50, 4] });
  const stats = fitStandardization(x);
  const viaJson = JSON.parse(JSON.stringify(stats));
  t.deepEqual(numbers(standardize(x, viaJson)), numbers(standardize(x, stats)));
  const dict = standardizationToTensors(stats);
  t.deepEqual(Object.keys(dict), ['standardize.mean', 'standardize.std']);
  t.is(dict['standardize.mean']?.dtype, 'float64');
  const back = standardizationFromTensors(dict);
  t.deepEqual(back.mean, stats.mean);
  t.deepEqual(back.std, stats.std);
  t.deepEqual(back.featureShape, [4]);
  t.throws(() => standardize(x, { ...stats, std: stats.std.slice(1) }), {
    message: /has 4 features but mean has 4 and std 3/,
  });
  t.throws(() => standardizationFromTensors({}), { message: /'standardize\.mean' and 'standardize\.std' are missing/ });
});
