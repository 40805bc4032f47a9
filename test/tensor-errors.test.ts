// Errors of the Tensor API: each is a JS Error (TypeError for a wrong argument type) whose message names
// the problem, and none of them takes the process down (they all run in this one process, and the last
// test checks that it still computes).
import test from 'ava';
import * as tn from '../lib/index';
import { native } from '../lib/native';

// Calls with deliberately wrong types, past the TypeScript types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loose = (value: unknown): any => value;

test('matmul of [2,3] and [2,3] throws an Error naming both shapes and the reason', (t) => {
  const a = tn.ones([2, 3]);
  const b = tn.ones([2, 3]);
  const error = t.throws(() => a.matmul(b), { instanceOf: Error });
  t.regex(error?.message ?? '', /^matmul: /);
  t.regex(error?.message ?? '', /\[2, 3\] and \[2, 3\]/);
  t.regex(error?.message ?? '', /cannot be multiplied/);
  // different shapes: both appear, in order
  t.throws(() => tn.ones([2, 3]).matmul(tn.ones([4, 5])), { message: /\[2, 3\] and \[4, 5\]/ });
  t.throws(() => tn.ones([2, 2, 3]).matmul(tn.ones([2, 2, 3])), { message: /\[2, 2, 3\] and \[2, 2, 3\]/ });
});

test('element-wise ops with shapes that do not broadcast name both shapes', (t) => {
  for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'eq', 'lt'] as const) {
    t.throws(() => tn.ones([2])[op](tn.ones([3])), { message: /\[2\] and \[3\]/ }, op);
    t.throws(() => tn.ones([2, 3])[op](tn.ones([2])), { message: new RegExp(`^${op}: .*\\[2, 3\\] and \\[2\\]`) });
  }
  // a libtorch reason that is not about shapes still comes through (first line only, no backtrace)
  const error = t.throws(() => tn.tensor([true]).sub(tn.tensor([true])));
  t.regex(error?.message ?? '', /Subtraction, the `-` operator, with two bool tensors is not supported/);
  t.false((error?.message ?? '').includes('\n'), 'one line');
  t.false(/Exception raised from|frame #/.test(error?.message ?? ''), 'no C++ backtrace');
});

// Every accessor and op on a disposed tensor.
const USES: Record<string, (d: tn.Tensor) => unknown> = {
  shape: (d) => d.shape,
  dtype: (d) => d.dtype,
  device: (d) => d.device,
  size: (d) => d.size,
  requiresGrad: (d) => d.requiresGrad,
  'requiresGrad =': (d) => {
    d.requiresGrad = true;
  },
  grad: (d) => d.grad,
  toArray: (d) => d.toArray(),
  tolist: (d) => d.tolist(),
  item: (d) => d.item(),
  'to(dtype)': (d) => d.to('float64'),
  'to(device)': (d) => d.to('cpu'),
  'add(number)': (d) => d.add(1),
  'add(tensor)': (d) => d.add(tn.ones([2])),
  'as the other operand': (d) => tn.ones([2]).add(d),
  sub: (d) => d.sub(1),
  mul: (d) => d.mul(2),
  div: (d) => d.div(2),
  pow: (d) => d.pow(2),
  eq: (d) => d.eq(1),
  ne: (d) => d.ne(1),
  lt: (d) => d.lt(1),
  le: (d) => d.le(1),
  gt: (d) => d.gt(1),
  ge: (d) => d.ge(1),
  maximum: (d) => d.maximum(tn.ones([2])),
  minimum: (d) => d.minimum(tn.ones([2])),
  matmul: (d) => d.matmul(tn.ones([2])),
  'as the matmul operand': (d) => tn.ones([2]).matmul(d),
  neg: (d) => d.neg(),
  abs: (d) => d.abs(),
  exp: (d) => d.exp(),
  log: (d) => d.log(),
  sqrt: (d) => d.sqrt(),
  square: (d) => d.square(),
  sign: (d) => d.sign(),
  sigmoid: (d) => d.sigmoid(),
  tanh: (d) => d.tanh(),
  relu: (d) => d.relu(),
  isnan: (d) => d.isnan(),
  isfinite: (d) => d.isfinite(),
  clone: (d) => d.clone(),
  detach: (d) => d.detach(),
  contiguous: (d) => d.contiguous(),
  t: (d) => d.t(),
  flatten: (d) => d.flatten(),
  sum: (d) => d.sum(),
  'sum({dim})': (d) => d.sum({ dim: 0, keepdim: true }),
  mean: (d) => d.mean(),
  std: (d) => d.std(),
  var: (d) => d.var(),
  max: (d) => d.max(),
  min: (d) => d.min({ dim: 0 }),
  argmax: (d) => d.argmax(),
  argmin: (d) => d.argmin({ dim: 0 }),
  reshape: (d) => d.reshape([2, 1]),
  narrow: (d) => d.narrow(0, 0, 1),
  slice: (d) => d.slice(0, 0, 1),
  permute: (d) => d.permute([0]),
  index: (d) => d.index(tn.tensor([0], { dtype: 'int64' })),
  'as the index': (d) => tn.ones([2]).index(d),
  backward: (d) => d.backward(),
  'as the backward gradient': (d) => {
    const x = tn.ones([2]);
    x.requiresGrad = true;
    x.mul(2).backward(d);
  },
  cat: (d) => tn.cat([d]),
  'cat (second)': (d) => tn.cat([tn.ones([2]), d]),
};

test('every accessor and op on a disposed tensor throws "tensor has been disposed"', (t) => {
  for (const [name, use] of Object.entries(USES)) {
    const d = tn.ones([2]);
    // before dispose the call may fail for its own reasons (item() of two elements), but not this one
    try {
      use(d);
    } catch (error) {
      t.notRegex((error as Error).message, /disposed/, name);
    }
    d.dispose();
    t.true(d.isDisposed, name);
    t.throws(() => use(d), { instanceOf: Error, message: /tensor has been disposed/ }, name);
  }
  t.is(String(tn.ones([1]).mul(0)).startsWith('Tensor(shape='), true);
});

test('dispose is idempotent and isDisposed reports it', (t) => {
  const x = tn.ones([3]);
  t.false(x.isDisposed);
  x.dispose();
  t.notThrows(() => x.dispose());
  t.notThrows(() => x[Symbol.dispose]());
  t.true(x.isDisposed);
  t.is(String(x), 'Tensor(disposed)');
});

test('dispose drops this handle only: views, results and grads stay valid', (t) => {
  const x = tn.arange(6, { dtype: 'float32' });
  const view = x.reshape([2, 3]);
  const part = x.narrow(0, 1, 2);
  const same = x.to('float32'); // may share x's storage
  x.dispose();
  t.deepEqual(view.tolist(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  t.deepEqual(part.tolist(), [1, 2]);
  t.deepEqual(same.tolist(), [0, 1, 2, 3, 4, 5]);

  const w = tn.tensor([1, 2]);
  w.requiresGrad = true;
  w.square().sum().backward();
  const g = w.grad;
  g?.dispose();
  t.deepEqual(w.grad?.tolist(), [2, 4], 'disposing one grad handle leaves the gradient in place');
});

test('Symbol.dispose works with `using`, also when the block throws', (t) => {
  let inner: tn.Tensor | undefined;
  {
    using x = tn.ones([4]);
    inner = x;
    t.false(x.isDisposed);
    t.is(x.sum().item(), 4);
  }
  t.true(inner.isDisposed);
  t.throws(() => inner?.shape, { message: /tensor has been disposed/ });

  let thrown: tn.Tensor | undefined;
  t.throws(
    () => {
      using y = tn.zeros([2]);
      thrown = y;
      throw new Error('inside');
    },
    { message: 'inside' },
  );
  t.true(thrown?.isDisposed);
});

test('a string where a tensor is expected throws TypeError', (t) => {
  const x = tn.ones([2, 2]);
  const cases: Record<string, () => unknown> = {
    add: () => x.add(loose('a')),
    sub: () => x.sub(loose('1')),
    mul: () => x.mul(loose(null)),
    eq: () => x.eq(loose({})),
    matmul: () => x.matmul(loose('a')),
    'matmul(number)': () => x.matmul(loose(2)),
    maximum: () => x.maximum(loose('a')),
    index: () => x.index(loose('0')),
    backward: () => x.backward(loose('g')),
    cat: () => tn.cat([x, loose('a')]),
    'cat(string)': () => tn.cat(loose('ab')),
    tensor: () => tn.tensor(loose('abc')),
    'tensor([1, "a"])': () => tn.tensor(loose([1, 'a'])),
    'tensor(Int16Array)': () => tn.tensor(loose(new Int16Array(2))),
    'reshape(string)': () => x.reshape(loose('2,2')),
    'reshape([1.5])': () => x.reshape(loose([1.5, 2])),
    'zeros(string)': () => tn.zeros(loose('3')),
    'sum(1)': () => x.sum(loose(1)),
    'setNumThreads(string)': () => tn.setNumThreads(loose('2')),
  };
  for (const [name, call] of Object.entries(cases)) {
    t.throws(call, { instanceOf: TypeError }, name);
  }
  t.throws(() => x.add(loose('a')), { message: /add: other must be a Tensor or a number, got string/ });
  // the native boundary checks types too (for callers that bypass the facade)
  t.throws(() => x.native.binary('add', loose('a')), { instanceOf: TypeError, message: /other must be a Tensor/ });
  t.throws(() => x.native.indexSelect(0, loose('a')), { instanceOf: TypeError, message: /index must be a Tensor/ });
  t.throws(() => native.cat(loose(['a']), 0), { instanceOf: TypeError });
  t.throws(() => native.fromTypedArray(loose([1, 2]), [2], 'float32'), {
    instanceOf: TypeError,
    message: /data must be a TypedArray/,
  });
  t.throws(() => x.native.reshape(loose('a')), { instanceOf: TypeError, message: /shape must be an array/ });
});

test('unknown dtype and unknown device', (t) => {
  t.throws(() => tn.zeros([2], { dtype: loose('float16') }), { message: /unknown dtype 'float16'/ });
  t.throws(() => tn.tensor([1], { dtype: loose('complex64') }), { message: /unknown dtype 'complex64'/ });
  t.throws(() => tn.randn([1], { dtype: loose('int8') }), { message: /unknown dtype 'int8'/ });
  t.throws(() => tn.ones([1]).to(loose('float16')), { message: /'float16' is neither a device nor a dtype/ });
  t.throws(() => tn.zeros([2], { device: loose('tpu') }), { message: /unknown device 'tpu'/ });
  t.throws(() => tn.tensor([1], { device: loose('gpu') }), { message: /unknown device 'gpu'/ });
  t.throws(() => tn.ones([1]).to(loose('cuda0')), { message: /neither a device nor a dtype/ });
  // and at the native boundary
  t.throws(() => native.full([1], 0, loose('half'), undefined), { message: /unknown dtype 'half'/ });
  t.throws(() => native.full([1], 0, 'float32', 'mps'), { message: /unknown device 'mps'/ });
  t.throws(() => tn.ones([1]).native.to(undefined, 'bfloat16'), { message: /unknown dtype 'bfloat16'/ });
});

test('bad reshape names the shapes', (t) => {
  t.throws(() => tn.arange(6).reshape([4, 2]), {
    message: /reshape: cannot reshape a tensor of shape \[6\] \(6 elements\) to \[4, 2\]/,
  });
  t.throws(() => tn.arange(6).reshape([-1, 4]), { message: /shape \[6\].*to \[-1, 4\]/ });
  t.throws(() => tn.arange(6).reshape([-1, -1]), { message: /reshape/ });
});

test('index, narrow, slice and dims out of range', (t) => {
  const x = tn.ones([3, 2]);
  t.throws(() => x.index(tn.tensor([5], { dtype: 'int64' })), { message: /^index: .*out of range/ });
  t.throws(() => x.index(tn.tensor([-1], { dtype: 'int64' })), { message: /^index: .*out of range/ });
  t.throws(() => x.index(tn.tensor([0], { dtype: 'int64' }), 2), { message: /^index: .*out of range/ });
  t.throws(() => x.narrow(0, 1, 5), { message: /^narrow: .*exceeds dimension size/ });
  t.throws(() => x.narrow(2, 0, 1), { message: /^narrow: .*out of range/i });
  t.throws(() => x.slice(5, 0), { message: /slice: dim 5 is out of range for shape \[3, 2\]/ });
  t.throws(() => x.sum({ dim: 2 }), { message: /^sum: Dimension out of range/ });
  t.throws(() => x.argmax({ dim: -3 }), { message: /^argmax: Dimension out of range/ });
  t.throws(() => x.permute([0]), { message: /permute: 1 dims given for a tensor of shape \[3, 2\]/ });
  t.throws(() => x.permute([0, 0]), { message: /^permute: / });
  t.throws(() => tn.cat([tn.ones([1, 2]), tn.ones([1, 3])]), {
    message: /cat: shapes \[1, 2\], \[1, 3\] cannot be joined along dim 0/,
  });
  t.throws(() => tn.cat([]), { message: /cat: needs at least one tensor/ });
  t.throws(() => tn.zeros([-2]), { message: /shape must hold non-negative integers/ });
  t.throws(() => tn.zeros([-1]), { message: /negative dimension/ });
});

test('item() on a multi-element (or empty) tensor', (t) => {
  t.throws(() => tn.ones([2, 3]).item(), {
    message: 'item: tensor of shape [2, 3] has 6 elements, expected exactly 1',
  });
  t.throws(() => tn.zeros([0]).item(), { message: /has 0 elements, expected exactly 1/ });
});

test('ragged nested arrays and data that does not fill the shape', (t) => {
  t.throws(() => tn.tensor([[1, 2], [3]]), {
    instanceOf: Error,
    message: /ragged nested array at \[1\]: expected length 2, got length 1/,
  });
  t.throws(() => tn.tensor(loose([[1, 2], 3])), { message: /ragged nested array at \[1\]/ });
  t.throws(
    () =>
      tn.tensor(
        loose([
          [[1], [2]],
          [[3], [4, 5]],
        ]),
      ),
    { message: /ragged nested array at \[1\]\[1\]/ },
  );
  t.throws(() => tn.tensor(loose([1, [2]])), { message: /expected a number at \[1\], got array/ });
  t.throws(() => tn.tensor([1, 2, 3], { shape: [2, 2] }), { message: /3 values do not fill shape \[2, 2\]/ });
  t.throws(() => tn.tensor(Float32Array.of(1, 2), { shape: [3] }), { message: /2 values do not fill shape \[3\]/ });
  t.throws(() => tn.tensor([1.5], { dtype: 'int64' }), { message: /int64 values must be integers/ });
});

test('autograd misuse', (t) => {
  const x = tn.ones([2]);
  x.requiresGrad = true;
  t.throws(() => x.mul(2).backward(), { message: /^backward: grad can be implicitly created only for scalar outputs/ });
  t.throws(() => tn.ones([1]).sum().backward(), { message: /^backward: .*does not require grad/ });
  t.throws(() => tn.arange(2).native.setRequiresGrad(true), { message: /requiresGrad: .*floating point/ });
  t.throws(() => x.native.setRequiresGrad(loose(1)), { instanceOf: TypeError });
});

test('bad settings', (t) => {
  t.throws(() => tn.manualSeed(1.5), { message: /manualSeed: seed must be a non-negative integer/ });
  t.throws(() => tn.setNumThreads(0), { message: /setNumThreads: threads must be >= 1, got 0/ });
  t.throws(() => tn.setNumThreads(1.5), { message: /must be an integer/ });
});

test('after all of the above, the process still computes', (t) => {
  for (let i = 0; i < 50; i++) t.throws(() => tn.ones([2, 3]).matmul(tn.ones([2, 3])));
  t.deepEqual(
    tn
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .matmul(tn.tensor([1, 1]))
      .tolist(),
    [3, 7],
  );
});
