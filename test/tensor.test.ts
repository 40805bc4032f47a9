// The Tensor API of the native core: round-trips of every dtype, and each op's values against results
// worked out by hand (small inputs, so the expected numbers below can be checked on paper).
import * as fs from 'node:fs';
import * as path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import * as tn from '../lib/index';

/** Element-wise |actual - expected| <= tol, with the index of the first mismatch in the message. */
function close(t: ExecutionContext, actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void {
  t.is(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol)) {
      t.fail(`element ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
      return;
    }
  }
  t.pass();
}

function values(x: tn.Tensor): number[] {
  return Array.from(x.toArray() as ArrayLike<number | bigint>, Number);
}

// ---------------------------------------------------------------- round-trips

test('nested arrays round-trip with their shape', (t) => {
  const x = tn.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  t.deepEqual(x.shape, [2, 3]);
  t.is(x.dtype, 'float32');
  t.deepEqual(x.tolist(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
});

test('3-D nested arrays round-trip (shape, row-major order, tolist)', (t) => {
  const data = [
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    [
      [7, 8, 9],
      [10, 11, 12],
    ],
  ];
  const x = tn.tensor(data);
  t.deepEqual(x.shape, [2, 2, 3]);
  t.is(x.size, 12);
  t.deepEqual(Array.from(x.toArray() as Float32Array), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  t.deepEqual(x.tolist(), data);
});

test('float32 round-trip: Float32Array, values rounded to single precision', (t) => {
  const x = tn.tensor([1.5, -2.25, 0.1, 3e38]);
  t.is(x.dtype, 'float32');
  const a = x.toArray();
  t.true(a instanceof Float32Array);
  t.deepEqual(Array.from(a as Float32Array), Array.from(Float32Array.of(1.5, -2.25, 0.1, 3e38)));
  t.not((a as Float32Array)[2], 0.1); // 0.1 is not a float32
});

test('float64 round-trip keeps double precision', (t) => {
  const x = tn.tensor([0.1, -1e-300, 1e300, Math.PI], { dtype: 'float64' });
  t.is(x.dtype, 'float64');
  const a = x.toArray();
  t.true(a instanceof Float64Array);
  t.deepEqual(Array.from(a as Float64Array), [0.1, -1e-300, 1e300, Math.PI]);
  t.deepEqual(x.tolist(), [0.1, -1e-300, 1e300, Math.PI]);
});

test('int32 round-trip, including the extremes', (t) => {
  const x = tn.tensor([-2147483648, -1, 0, 2147483647], { dtype: 'int32' });
  t.is(x.dtype, 'int32');
  const a = x.toArray();
  t.true(a instanceof Int32Array);
  t.deepEqual(Array.from(a as Int32Array), [-2147483648, -1, 0, 2147483647]);
});

test('int64 round-trip through BigInt64Array is exact beyond 2^53', (t) => {
  const big = [2n ** 53n + 1n, -(2n ** 62n) - 3n, 9223372036854775807n, -9223372036854775808n, 0n];
  const x = tn.tensor(BigInt64Array.from(big));
  t.is(x.dtype, 'int64');
  t.deepEqual(x.shape, [5]);
  const a = x.toArray();
  t.true(a instanceof BigInt64Array);
  t.deepEqual(Array.from(a as BigInt64Array), big);
  // through an op as well: 2^53 + 1 + 1 is not representable as a double
  t.is((x.add(tn.tensor(BigInt64Array.of(1n, 0n, 0n, 0n, 0n))).toArray() as BigInt64Array)[0], 2n ** 53n + 2n);
  // numbers are accepted for int64 too
  t.deepEqual(Array.from(tn.tensor([1, -2, 3], { dtype: 'int64' }).toArray() as BigInt64Array), [1n, -2n, 3n]);
});

test('uint8 round-trip', (t) => {
  const x = tn.tensor([0, 1, 128, 255], { dtype: 'uint8' });
  t.is(x.dtype, 'uint8');
  const a = x.toArray();
  t.true(a instanceof Uint8Array);
  t.deepEqual(Array.from(a as Uint8Array), [0, 1, 128, 255]);
  t.deepEqual(Array.from(tn.tensor(Uint8Array.of(7, 200)).toArray() as Uint8Array), [7, 200]);
  t.is(tn.tensor(Uint8Array.of(7, 200)).dtype, 'uint8');
});

test('bool round-trip: booleans in, 0/1 bytes from toArray, booleans from tolist', (t) => {
  const x = tn.tensor([true, false, true]);
  t.is(x.dtype, 'bool');
  const a = x.toArray();
  t.true(a instanceof Uint8Array);
  t.deepEqual(Array.from(a as Uint8Array), [1, 0, 1]);
  t.deepEqual(x.tolist(), [true, false, true]);
  // numbers with dtype bool: non-zero is true
  t.deepEqual(tn.tensor([0, 2, -1], { dtype: 'bool' }).tolist(), [false, true, true]);
  t.deepEqual(tn.tensor(Uint8Array.of(0, 5), { dtype: 'bool' }).tolist(), [false, true]);
});

test('TypedArray inputs convert to the requested dtype', (t) => {
  const f64 = tn.tensor(Float64Array.of(1.75, -2.25, 3), { dtype: 'int32' });
  t.is(f64.dtype, 'int32');
  t.deepEqual(Array.from(f64.toArray() as Int32Array), [1, -2, 3]); // truncation toward zero, like torch
  const f32 = tn.tensor(Float32Array.of(0.5, 1.5), { dtype: 'float64' });
  t.is(f32.dtype, 'float64');
  t.deepEqual(Array.from(f32.toArray() as Float64Array), [0.5, 1.5]);
  const i32 = tn.tensor(Int32Array.of(-3, 4), { dtype: 'int64' });
  t.deepEqual(Array.from(i32.toArray() as BigInt64Array), [-3n, 4n]);
  const i32f = tn.tensor(Int32Array.of(-3, 4), { dtype: 'float32' });
  t.deepEqual(Array.from(i32f.toArray() as Float32Array), [-3, 4]);
  const bigf = tn.tensor(BigInt64Array.of(5n, -6n), { dtype: 'float64' });
  t.deepEqual(Array.from(bigf.toArray() as Float64Array), [5, -6]);
  const u8f = tn.tensor(Uint8Array.of(255, 0), { dtype: 'float32' });
  t.deepEqual(Array.from(u8f.toArray() as Float32Array), [255, 0]);
});

test('TypedArray with a shape, and a view with a byte offset into a larger buffer', (t) => {
  const x = tn.tensor(Float32Array.of(1, 2, 3, 4, 5, 6), { shape: [3, 2] });
  t.deepEqual(x.shape, [3, 2]);
  t.deepEqual(x.tolist(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const buffer = Float64Array.of(10, 11, 12, 13, 14).buffer;
  const view = new Float64Array(buffer, 16, 2); // elements 2 and 3
  t.deepEqual(tn.tensor(view).tolist(), [12, 13]);
  // the data is copied: changing the source afterwards does not change the tensor
  const source = Float32Array.of(1, 2);
  const copy = tn.tensor(source);
  source[0] = 99;
  t.deepEqual(copy.tolist(), [1, 2]);
});

test('zero-size dimensions', (t) => {
  const empty = tn.tensor([]);
  t.deepEqual(empty.shape, [0]);
  t.is(empty.size, 0);
  t.is(empty.toArray().length, 0);
  t.deepEqual(empty.tolist(), []);

  const z = tn.zeros([2, 0, 3]);
  t.deepEqual(z.shape, [2, 0, 3]);
  t.is(z.size, 0);
  t.deepEqual(z.tolist(), [[], []]);
  t.is(z.sum().item(), 0);
  t.deepEqual(z.sum({ dim: 1 }).shape, [2, 3]);
  t.deepEqual(z.sum({ dim: 1 }).tolist(), [
    [0, 0, 0],
    [0, 0, 0],
  ]);

  const typed = tn.tensor(new Float32Array(0), { shape: [0, 4] });
  t.deepEqual(typed.shape, [0, 4]);
  t.deepEqual(tn.cat([typed, tn.ones([1, 4])]).tolist(), [[1, 1, 1, 1]]);
  t.deepEqual(tn.tensor([[]]).shape, [1, 0]);
});

test('scalars have shape []', (t) => {
  const s = tn.tensor(3.5);
  t.deepEqual(s.shape, []);
  t.is(s.size, 1);
  t.is(s.item(), 3.5);
  t.is(s.tolist(), 3.5);
  t.deepEqual(Array.from(s.toArray() as Float32Array), [3.5]);
  t.deepEqual(tn.tensor(true).shape, []);
  t.is(tn.tensor(true).tolist(), true);
  t.deepEqual(tn.tensor([1, 2, 3]).sum().shape, []);
  t.deepEqual(tn.tensor([1, 2, 3]).mul(s).tolist(), [3.5, 7, 10.5]);
});

test('zeros, ones, full, arange with dtypes', (t) => {
  t.deepEqual(tn.zeros([2, 2]).tolist(), [
    [0, 0],
    [0, 0],
  ]);
  const o = tn.ones([3], { dtype: 'int32' });
  t.is(o.dtype, 'int32');
  t.deepEqual(o.tolist(), [1, 1, 1]);
  t.deepEqual(tn.full([2], 7.5, { dtype: 'float64' }).tolist(), [7.5, 7.5]);
  const r = tn.arange(4);
  t.is(r.dtype, 'int64');
  t.deepEqual(r.tolist(), [0, 1, 2, 3]);
  t.is(tn.zeros([1], { dtype: 'bool' }).dtype, 'bool');
  t.deepEqual(tn.randn([2, 3]).shape, [2, 3]);
  t.is(tn.randn([2], { dtype: 'float64' }).dtype, 'float64');
  const u = values(tn.rand([1000]));
  t.true(u.every((v) => v >= 0 && v < 1));
  const p = values(tn.randperm(10)).sort((a, b) => a - b);
  t.deepEqual(p, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

// ---------------------------------------------------------------- element-wise arithmetic

const A = (): tn.Tensor =>
  tn.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

test('add/sub/mul/div with a tensor of the same shape', (t) => {
  const b = tn.tensor([
    [6, 5, 4],
    [3, 2, 1],
  ]);
  t.deepEqual(A().add(b).tolist(), [
    [7, 7, 7],
    [7, 7, 7],
  ]);
  t.deepEqual(A().sub(b).tolist(), [
    [-5, -3, -1],
    [1, 3, 5],
  ]);
  t.deepEqual(A().mul(b).tolist(), [
    [6, 10, 12],
    [12, 10, 6],
  ]);
  close(t, A().div(b).toArray() as Float32Array, [1 / 6, 2 / 5, 3 / 4, 4 / 3, 5 / 2, 6]);
});

test('add/sub/mul/div broadcast a row and a column', (t) => {
  const row = tn.tensor([10, 20, 30]);
  const col = tn.tensor([[100], [200]]);
  t.deepEqual(A().add(row).tolist(), [
    [11, 22, 33],
    [14, 25, 36],
  ]);
  t.deepEqual(A().sub(col).tolist(), [
    [-99, -98, -97],
    [-196, -195, -194],
  ]);
  t.deepEqual(A().mul(row).tolist(), [
    [10, 40, 90],
    [40, 100, 180],
  ]);
  close(t, A().div(col).toArray() as Float32Array, [0.01, 0.02, 0.03, 0.02, 0.025, 0.03]);
  // [2,1] with [3] broadcasts to [2,3]
  t.deepEqual(col.add(row).tolist(), [
    [110, 120, 130],
    [210, 220, 230],
  ]);
});

test('add/sub/mul/div with a number', (t) => {
  t.deepEqual(A().add(1).tolist(), [
    [2, 3, 4],
    [5, 6, 7],
  ]);
  t.deepEqual(A().sub(0.5).tolist(), [
    [0.5, 1.5, 2.5],
    [3.5, 4.5, 5.5],
  ]);
  t.deepEqual(A().mul(-2).tolist(), [
    [-2, -4, -6],
    [-8, -10, -12],
  ]);
  t.deepEqual(A().div(4).tolist(), [
    [0.25, 0.5, 0.75],
    [1, 1.25, 1.5],
  ]);
});

test('integer tensors: true division gives float32; integer numbers keep the integer dtype', (t) => {
  const i = tn.tensor([1, 2, 3], { dtype: 'int32' });
  const q = i.div(2);
  t.is(q.dtype, 'float32');
  t.deepEqual(q.tolist(), [0.5, 1, 1.5]);
  // like torch: int tensor + int scalar stays int, int tensor + float scalar becomes float
  t.is(tn.arange(3).add(1).dtype, 'int64', 'arange(3).add(1) must stay int64 (torch: tensor([0,1,2]) + 1)');
  t.deepEqual(tn.arange(3).mul(2).tolist(), [0, 2, 4]);
  t.is(i.mul(3).dtype, 'int32', 'int32 * 3 must stay int32');
  t.is(i.add(0.5).dtype, 'float32');
  t.deepEqual(i.add(0.5).tolist(), [1.5, 2.5, 3.5]);
});

test('pow with a number and with a tensor', (t) => {
  t.deepEqual(tn.tensor([1, 2, 3]).pow(2).tolist(), [1, 4, 9]);
  close(t, tn.tensor([4, 9]).pow(0.5).toArray() as Float32Array, [2, 3]);
  t.deepEqual(
    tn
      .tensor([2, 3, 4])
      .pow(tn.tensor([3, 2, 0.5]))
      .tolist(),
    [8, 9, 2],
  );
  t.deepEqual(
    tn
      .tensor([[2], [3]])
      .pow(tn.tensor([1, 2]))
      .tolist(),
    [
      [2, 4],
      [3, 9],
    ],
  );
});

test('matmul: 2-D, matrix-vector, and batched', (t) => {
  const a = tn.tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tn.tensor([
    [5, 6],
    [7, 8],
  ]);
  t.deepEqual(a.matmul(b).tolist(), [
    [19, 22],
    [43, 50],
  ]);
  // [2,3] x [3,1]
  t.deepEqual(
    A()
      .matmul(tn.tensor([[1], [0], [-1]]))
      .tolist(),
    [[-2], [-2]],
  );
  t.deepEqual(
    A()
      .matmul(tn.tensor([1, 1, 1]))
      .tolist(),
    [6, 15],
  );
  // batched [2,2,2] x [2,2,2]
  const batch = tn.tensor([
    [
      [1, 2],
      [3, 4],
    ],
    [
      [1, 0],
      [0, 1],
    ],
  ]);
  const rhs = tn.tensor([
    [
      [1, 0],
      [0, 1],
    ],
    [
      [2, 3],
      [4, 5],
    ],
  ]);
  t.deepEqual(batch.matmul(rhs).tolist(), [
    [
      [1, 2],
      [3, 4],
    ],
    [
      [2, 3],
      [4, 5],
    ],
  ]);
  // batched [2,2,2] x broadcast [2,2]
  t.deepEqual(batch.matmul(b).tolist(), [
    [
      [19, 22],
      [43, 50],
    ],
    [
      [5, 6],
      [7, 8],
    ],
  ]);
  t.deepEqual(batch.matmul(b).shape, [2, 2, 2]);
});

test('unary ops', (t) => {
  const x = tn.tensor([-1, 0, 4]);
  t.deepEqual(x.neg().tolist(), [1, -0, -4]);
  t.deepEqual(x.abs().tolist(), [1, 0, 4]);
  t.deepEqual(x.relu().tolist(), [0, 0, 4]);
  t.deepEqual(x.sign().tolist(), [-1, 0, 1]);
  t.deepEqual(x.square().tolist(), [1, 0, 16]);
  close(t, x.exp().toArray() as Float32Array, [Math.exp(-1), 1, Math.exp(4)], 1e-4);
  close(t, tn.tensor([1, 4]).sqrt().toArray() as Float32Array, [1, 2]);
  close(t, tn.tensor([1, Math.E]).log().toArray() as Float32Array, [0, 1]);
  close(t, tn.tensor([0]).sigmoid().toArray() as Float32Array, [0.5]);
  close(t, tn.tensor([0, 1]).tanh().toArray() as Float32Array, [0, Math.tanh(1)]);
  t.deepEqual(A().t().tolist(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  t.deepEqual(A().flatten().tolist(), [1, 2, 3, 4, 5, 6]);
});

// ---------------------------------------------------------------- reductions

test('sum and mean: all, one dim, keepdim, several dims, negative dims', (t) => {
  t.is(A().sum().item(), 21);
  t.deepEqual(A().sum({ dim: 0 }).tolist(), [5, 7, 9]);
  t.deepEqual(A().sum({ dim: 1 }).tolist(), [6, 15]);
  t.deepEqual(A().sum({ dim: -1 }).tolist(), [6, 15]);
  t.deepEqual(A().sum({ dim: 1, keepdim: true }).tolist(), [[6], [15]]);
  t.deepEqual(A().sum({ keepdim: true }).shape, [1, 1]);
  t.deepEqual(A().sum({ keepdim: true }).tolist(), [[21]]);
  t.is(A().mean().item(), 3.5);
  t.deepEqual(A().mean({ dim: 0 }).tolist(), [2.5, 3.5, 4.5]);
  t.deepEqual(A().mean({ dim: 1, keepdim: true }).tolist(), [[2], [5]]);

  const x = tn.arange(24, { dtype: 'float32' }).reshape([2, 3, 4]);
  // sum over dims 0 and 2: for row j, sum over i and k of (12i + 4j + k) = 2*4*4j + 4*12 + 2*6 = 32j + 60
  t.deepEqual(x.sum({ dim: [0, 2] }).tolist(), [60, 92, 124]);
  t.deepEqual(x.sum({ dim: [0, 2], keepdim: true }).shape, [1, 3, 1]);
  t.deepEqual(x.mean({ dim: [0, 2] }).tolist(), [7.5, 11.5, 15.5]);
  t.deepEqual(x.sum({ dim: [-3, -1] }).tolist(), [60, 92, 124], 'negative dims in a list');
});

test('std and var (Bessel-corrected)', (t) => {
  // [1,2,3,4]: mean 2.5, squared deviations 2.25+0.25+0.25+2.25 = 5, var = 5/3
  close(t, [tn.tensor([1, 2, 3, 4]).std().item()], [Math.sqrt(5 / 3)]);
  close(t, [tn.tensor([1, 2, 3, 4]).var().item()], [5 / 3]);
  // rows [1,2,3] and [4,5,6]: var 1 each; columns [1,4],[2,5],[3,6]: var 4.5
  close(t, A().std({ dim: 1 }).toArray() as Float32Array, [1, 1]);
  close(t, A().var({ dim: 0 }).toArray() as Float32Array, [4.5, 4.5, 4.5]);
  t.deepEqual(A().std({ dim: 0, keepdim: true }).shape, [1, 3]);
  // all six values: mean 3.5, squared deviations sum 17.5, var 3.5
  close(
    t,
    [
      A()
        .var({ dim: [0, 1] })
        .item(),
    ],
    [3.5],
  );
});

test('max/min/argmax/argmin: all, one dim, keepdim', (t) => {
  const x = tn.tensor([
    [3, 9, 1],
    [7, 2, 8],
  ]);
  t.is(x.max().item(), 9);
  t.is(x.min().item(), 1);
  t.deepEqual(x.max().shape, []);
  t.deepEqual(x.max({ dim: 0 }).tolist(), [7, 9, 8]);
  t.deepEqual(x.max({ dim: 1 }).tolist(), [9, 8]);
  t.deepEqual(x.min({ dim: 1, keepdim: true }).tolist(), [[1], [2]]);
  t.deepEqual(x.max({ keepdim: true }).tolist(), [[9]]);

  const am = x.argmax();
  t.is(am.dtype, 'int64');
  t.is(am.item(), 1); // flat index of 9
  t.is(x.argmin().item(), 2); // flat index of 1
  t.deepEqual(x.argmax({ dim: 0 }).tolist(), [1, 0, 1]);
  t.deepEqual(x.argmax({ dim: 1 }).tolist(), [1, 2]);
  t.deepEqual(x.argmin({ dim: 1 }).tolist(), [2, 1]);
  t.deepEqual(x.argmin({ dim: -1, keepdim: true }).tolist(), [[2], [1]]);
  t.deepEqual(x.argmax({ keepdim: true }).tolist(), [[1]]);
  t.throws(() => x.max({ dim: [0, 1] }), { message: /single dim/ });
});

// ---------------------------------------------------------------- shape and indexing

test('reshape, including -1', (t) => {
  const x = tn.arange(6);
  t.deepEqual(x.reshape([2, 3]).tolist(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  t.deepEqual(x.reshape([-1, 2]).shape, [3, 2]);
  t.deepEqual(x.reshape([3, -1]).tolist(), [
    [0, 1],
    [2, 3],
    [4, 5],
  ]);
  t.deepEqual(x.reshape([-1]).shape, [6]);
  t.deepEqual(tn.tensor([5]).reshape([]).shape, []);
});

test('narrow and slice (negative indices)', (t) => {
  const x = tn.arange(12).reshape([3, 4]);
  t.deepEqual(x.narrow(0, 1, 2).tolist(), [
    [4, 5, 6, 7],
    [8, 9, 10, 11],
  ]);
  t.deepEqual(x.narrow(1, 2, 1).tolist(), [[2], [6], [10]]);
  t.deepEqual(x.narrow(-1, 0, 2).tolist(), [
    [0, 1],
    [4, 5],
    [8, 9],
  ]);
  t.deepEqual(x.slice(1, -2).tolist(), [
    [2, 3],
    [6, 7],
    [10, 11],
  ]);
  t.deepEqual(x.slice(0, 0, -1).tolist(), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  t.deepEqual(x.slice(-1, 1, 3).tolist(), [
    [1, 2],
    [5, 6],
    [9, 10],
  ]);
  t.deepEqual(x.slice(0, 2, 2).shape, [0, 4]);
  t.deepEqual(x.slice(0, 1).shape, [2, 4]);
});

test('permute', (t) => {
  const x = tn.arange(24).reshape([2, 3, 4]);
  const p = x.permute([2, 0, 1]);
  t.deepEqual(p.shape, [4, 2, 3]);
  // p[k][i][j] = x[i][j][k] = 12i + 4j + k
  const list = p.tolist() as number[][][];
  let ok = true;
  for (let k = 0; k < 4; k++)
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) ok &&= list[k]?.[i]?.[j] === 12 * i + 4 * j + k;
  t.true(ok);
  t.deepEqual(A().permute([1, 0]).tolist(), A().t().tolist());
  t.deepEqual(x.permute([-1, -3, -2]).tolist(), p.tolist(), 'negative dims in permute');
});

test('index by an int64 (and int32) tensor', (t) => {
  const x = tn.tensor([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  t.deepEqual(x.index(tn.tensor([2, 0, 2], { dtype: 'int64' })).tolist(), [
    [5, 6],
    [1, 2],
    [5, 6],
  ]);
  t.deepEqual(x.index(tn.tensor([1, 0], { dtype: 'int64' }), 1).tolist(), [
    [2, 1],
    [4, 3],
    [6, 5],
  ]);
  t.deepEqual(x.index(tn.tensor([1], { dtype: 'int32' })).tolist(), [[3, 4]]);
  t.deepEqual(x.index(tn.randperm(3)).sum({ dim: 0 }).tolist(), [9, 12]);
  t.throws(() => x.index(tn.tensor([0, 1])), { message: /int64 or int32/ });
});

test('cat along dim 0 and dim 1', (t) => {
  const a = tn.tensor([[1, 2]]);
  const b = tn.tensor([
    [3, 4],
    [5, 6],
  ]);
  t.deepEqual(tn.cat([a, b]).tolist(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  t.deepEqual(tn.cat([b, b], 1).tolist(), [
    [3, 4, 3, 4],
    [5, 6, 5, 6],
  ]);
  t.deepEqual(tn.cat([a, a, a], -1).tolist(), [[1, 2, 1, 2, 1, 2]]);
});

test('comparisons give bool tensors', (t) => {
  const x = tn.tensor([1, 2, 3]);
  const y = tn.tensor([3, 2, 1]);
  const e = x.eq(y);
  t.is(e.dtype, 'bool');
  t.deepEqual(e.tolist(), [false, true, false]);
  t.deepEqual(x.ne(y).tolist(), [true, false, true]);
  t.deepEqual(x.lt(y).tolist(), [true, false, false]);
  t.deepEqual(x.gt(y).tolist(), [false, false, true]);
  t.deepEqual(x.le(y).tolist(), [true, true, false]);
  t.deepEqual(x.ge(y).tolist(), [false, true, true]);
  t.deepEqual(x.eq(2).tolist(), [false, true, false]);
  t.deepEqual(x.gt(1.5).tolist(), [false, true, true]);
  t.deepEqual(x.lt(tn.tensor([[2], [4]])).tolist(), [
    [true, false, false],
    [true, true, true],
  ]);
  // accuracy the usual way: argmax == labels, as float, mean
  const logits = tn.tensor([
    [0.1, 0.9],
    [0.8, 0.2],
    [0.3, 0.7],
  ]);
  const labels = tn.tensor([1, 1, 1], { dtype: 'int64' });
  close(t, [logits.argmax({ dim: 1 }).eq(labels).to('float32').mean().item()], [2 / 3]);
});

test('to(dtype) converts values; to(device) to cpu', (t) => {
  const x = tn.tensor([1.7, -1.7, 2.5]);
  const i = x.to('int32');
  t.is(i.dtype, 'int32');
  t.deepEqual(i.tolist(), [1, -1, 2]);
  t.deepEqual(Array.from(x.to('int64').toArray() as BigInt64Array), [1n, -1n, 2n]);
  const d = x.to('float64');
  t.is(d.dtype, 'float64');
  close(t, d.toArray() as Float64Array, [1.7, -1.7, 2.5], 1e-6);
  t.deepEqual(tn.tensor([0, 3]).to('bool').tolist(), [false, true]);
  t.deepEqual(tn.tensor([true, false]).to('float32').tolist(), [1, 0]);
  t.deepEqual(tn.tensor([300, -1]).to('uint8').shape, [2]);
  const c = x.to('cpu');
  t.is(c.device, 'cpu');
  t.is(x.device, 'cpu');
  t.deepEqual(c.tolist(), x.tolist());
  t.throws(() => x.to('float16' as tn.DType), { message: /neither a device nor a dtype/ });
});

test('item', (t) => {
  t.is(tn.tensor([42]).item(), 42);
  t.is(tn.tensor([[2.5]]).item(), 2.5);
  t.is(tn.tensor([7], { dtype: 'int64' }).item(), 7);
  t.is(tn.tensor([-7], { dtype: 'int32' }).item(), -7);
  t.is(tn.tensor([0.1], { dtype: 'float64' }).item(), 0.1);
  t.is(tn.tensor([true]).item(), 1);
});

test('tolist of every dtype', (t) => {
  t.deepEqual(tn.tensor([[1, 2]], { dtype: 'int32' }).tolist(), [[1, 2]]);
  t.deepEqual(tn.tensor([[1, 2]], { dtype: 'int64' }).tolist(), [[1, 2]]);
  t.deepEqual(tn.tensor([[1, 2]], { dtype: 'uint8' }).tolist(), [[1, 2]]);
  t.deepEqual(tn.tensor([[1, 2]], { dtype: 'float64' }).tolist(), [[1, 2]]);
  t.deepEqual(tn.tensor([[true], [false]]).tolist(), [[true], [false]]);
});

// ---------------------------------------------------------------- autograd and process-wide settings

test('backward: d/dx sum(x^2) = 2x', (t) => {
  const x = tn.tensor([1, -2, 3]);
  t.false(x.requiresGrad);
  x.requiresGrad = true;
  t.true(x.requiresGrad);
  t.is(x.grad, undefined);
  const y = x.pow(2).sum();
  t.true(y.requiresGrad);
  y.backward();
  const g = x.grad;
  t.truthy(g);
  t.deepEqual(g?.tolist(), [2, -4, 6]);
  // gradients accumulate: a second backward adds 3 (d/dx of sum(3x))
  x.mul(3).sum().backward();
  t.deepEqual(x.grad?.tolist(), [5, -1, 9]);
  // through matmul: d/dW sum(W @ v) = 1 v^T
  const w = tn.zeros([2, 3]);
  w.requiresGrad = true;
  w.matmul(tn.tensor([1, 2, 3]))
    .sum()
    .backward();
  t.deepEqual(w.grad?.tolist(), [
    [1, 2, 3],
    [1, 2, 3],
  ]);
  // detach cuts the graph
  t.false(x.detach().requiresGrad);
});

test('noGrad: no graph inside, grad mode restored after (even on throw), returns the result', (t) => {
  const x = tn.tensor([1, 2]);
  x.requiresGrad = true;
  t.true(tn.isGradEnabled());
  const y = tn.noGrad(() => {
    t.false(tn.isGradEnabled());
    return x.mul(2);
  });
  t.true(tn.isGradEnabled());
  t.false(y.requiresGrad);
  t.deepEqual(y.tolist(), [2, 4]);
  t.is(
    tn.noGrad(() => 5),
    5,
  );
  t.throws(
    () =>
      tn.noGrad(() => {
        throw new Error('boom');
      }),
    { message: 'boom' },
  );
  t.true(tn.isGradEnabled());
  t.true(x.mul(2).requiresGrad);
});

test('manualSeed: same seed, same randn; another seed, other values', (t) => {
  tn.manualSeed(42);
  const a = values(tn.randn([8]));
  const a2 = values(tn.randn([8]));
  tn.manualSeed(42);
  const b = values(tn.randn([8]));
  const b2 = values(tn.randn([8]));
  tn.manualSeed(43);
  const c = values(tn.randn([8]));
  t.deepEqual(a, b);
  t.deepEqual(a2, b2);
  t.notDeepEqual(a, a2);
  t.notDeepEqual(a, c);
  tn.manualSeed(7);
  const r1 = values(tn.randperm(20));
  tn.manualSeed(7);
  t.deepEqual(values(tn.randperm(20)), r1);
  t.throws(() => tn.manualSeed(-1), { message: /non-negative integer/ });
});

test('randn is roughly standard normal', (t) => {
  tn.manualSeed(1);
  const x = tn.randn([20000], { dtype: 'float64' });
  t.true(Math.abs(x.mean().item()) < 0.05);
  t.true(Math.abs(x.std().item() - 1) < 0.05);
});

test('setNumThreads / getNumThreads', (t) => {
  const before = tn.getNumThreads();
  t.true(Number.isInteger(before) && before >= 1);
  try {
    tn.setNumThreads(1);
    t.is(tn.getNumThreads(), 1);
    tn.setNumThreads(2);
    t.is(tn.getNumThreads(), 2);
  } finally {
    tn.setNumThreads(before);
  }
  t.is(tn.getNumThreads(), before);
  t.throws(() => tn.setNumThreads(0), { message: /threads must be >= 1/ });
});

test('version fields', (t) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  t.is(tn.version.torchnode, pkg.version);
  t.regex(tn.version.libtorch, /^\d+\.\d+\.\d+/);
  t.true(Object.isFrozen(tn.version));
});

test('cuda: availability is consistent with asking for a CUDA device', (t) => {
  if (!tn.cuda.isAvailable()) {
    // the case on these CPU-only machines
    t.is(tn.cuda.deviceCount(), 0);
    for (const device of ['cuda', 'cuda:0'] as const) {
      const error = t.throws(() => tn.zeros([2], { device }), { instanceOf: Error });
      t.regex(error?.message ?? '', /CUDA is not available/);
    }
    t.throws(() => tn.tensor([1, 2], { device: 'cuda' }), { message: /CUDA is not available/ });
    t.throws(() => tn.tensor([1, 2]).to('cuda'), { message: /CUDA is not available/ });
  } else {
    t.true(tn.cuda.deviceCount() >= 1);
    const x = tn.tensor([1, 2], { device: 'cuda' });
    t.is(x.device, 'cuda:0');
    t.deepEqual(x.mul(2).to('cpu').tolist(), [2, 4]);
  }
});

test('toString', (t) => {
  t.is(String(A()), 'Tensor(shape=[2, 3], dtype=float32, device=cpu)');
});
