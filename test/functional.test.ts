// nn.functional against hand computations (float64 in JS), its error messages, and autograd through
// the modules (backward fills every parameter's grad, noGrad turns it off).
import test from 'ava';
import * as tn from '../lib/index';
import { close, values } from './helpers/assert-close';

const { nn } = tn;
const F = nn.functional;

const logitRows = [
  [1, 2, 3, -1],
  [0.5, -1, 2, 0],
  [0, 0, 0, 0],
  [10, -10, 3, 9.5],
  [-50, 40, 41, 39],
];
const labels = [2, 0, 1, 3, 2];

function logSumExp(row: readonly number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

const int64 = (xs: readonly number[]) => tn.tensor([...xs], { dtype: 'int64' });

test('crossEntropy is the mean of logsumexp(row) - row[label]', (t) => {
  const expected = logitRows.reduce((s, row, i) => s + logSumExp(row) - row[labels[i]!]!, 0) / logitRows.length;
  const loss = F.crossEntropy(tn.tensor(logitRows), int64(labels));
  t.deepEqual(loss.shape, []);
  t.true(Math.abs(loss.item() - expected) < 1e-5, `${loss.item()} vs ${expected}`);
  // float64 logits give float64 precision.
  const loss64 = F.crossEntropy(tn.tensor(logitRows, { dtype: 'float64' }), int64(labels));
  t.is(loss64.dtype, 'float64');
  t.true(Math.abs(loss64.item() - expected) < 1e-12);
  // Uniform logits over 10 classes: log(10).
  t.true(Math.abs(F.crossEntropy(tn.zeros([3, 10]), int64([0, 5, 9])).item() - Math.log(10)) < 1e-6);
});

test('softmax rows sum to 1 and equal exp(x)/sum(exp(x)); logSoftmax = log(softmax)', (t) => {
  const x = tn.tensor(logitRows);
  const p = F.softmax(x);
  const expected = logitRows.flatMap((row) => {
    const lse = logSumExp(row);
    return row.map((v) => Math.exp(v - lse));
  });
  close(t, values(p), expected, 1e-6, 'softmax');
  close(t, values(p.sum({ dim: 1 })), new Array(logitRows.length).fill(1), 1e-6, 'row sums');
  close(
    t,
    values(F.logSoftmax(x)),
    logitRows.flatMap((row) => row.map((v) => v - logSumExp(row))),
    1e-5,
    'logSoftmax',
  );
  // Where softmax does not underflow, logSoftmax equals its log.
  const y = tn.randn([20, 7]);
  close(t, values(F.logSoftmax(y)), values(F.softmax(y).log()), 1e-5, 'log(softmax)');
  // Along dim 0, columns sum to 1.
  close(t, values(F.softmax(y, 0).sum({ dim: 0 })), new Array(7).fill(1), 1e-5, 'column sums');
  // Large logits do not overflow.
  t.true(values(F.logSoftmax(tn.tensor([[1000, 0]]))).every(Number.isFinite));
});

test('accuracy is the share of rows whose argmax is the label', (t) => {
  // argmax per row: 2, 2, 0 (ties: first), 0, 2
  t.true(Math.abs(F.accuracy(tn.tensor(logitRows), int64(labels)) - 2 / 5) < 1e-7);
  t.is(F.accuracy(tn.tensor(logitRows), int64([2, 2, 0, 0, 2])), 1);
  t.is(F.accuracy(tn.tensor(logitRows), int64([0, 0, 1, 1, 0])), 0);
});

test('mseLoss and binaryCrossEntropyWithLogits against hand computations', (t) => {
  const a = [0.5, -1, 2, 3.5, 0, -2];
  const b = [1, 1, 1.5, 3, -0.5, 0];
  const mse = a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0) / a.length;
  t.true(Math.abs(F.mseLoss(tn.tensor(a), tn.tensor(b)).item() - mse) < 1e-6);
  t.throws(() => F.mseLoss(tn.zeros([3]), tn.zeros([4])), { instanceOf: Error, message: /mseLoss/ });

  const logits = [0.5, -1, 20, -30, 0, 2];
  const targets = [1, 0, 1, 0, 0.5, 0.25];
  const bce =
    logits.reduce((s, x, i) => {
      const y = targets[i]!;
      return s + Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
    }, 0) / logits.length;
  t.true(Math.abs(F.binaryCrossEntropyWithLogits(tn.tensor(logits), tn.tensor(targets)).item() - bce) < 1e-6);
  t.throws(() => F.binaryCrossEntropyWithLogits(tn.zeros([2, 3]), tn.zeros([3, 2])), { instanceOf: Error });
});

test('crossEntropy: a label out of range is an Error naming the label and the class count, not an abort', (t) => {
  const logits = tn.zeros([4, 10]);
  t.throws(() => F.crossEntropy(logits, int64([1, 2, 12, 3])), {
    instanceOf: Error,
    message: /label 12 .*10 classes/,
  });
  t.throws(() => F.crossEntropy(logits, int64([-1, 2, 3, 4])), { message: /label -1 .*10 classes/ });
  t.throws(() => F.crossEntropy(logits, int64([0, 1, 2, 10])), { message: /label 10 .*10 classes/ });
  // The process goes on, and valid labels at the edges work.
  t.true(Math.abs(F.crossEntropy(logits, int64([0, 9, 0, 9])).item() - Math.log(10)) < 1e-6);
});

test('crossEntropy: wrong target dtype, count or rank is a clear Error', (t) => {
  const logits = tn.zeros([3, 4]);
  t.throws(() => F.crossEntropy(logits, tn.tensor([0, 1, 2])), { instanceOf: Error, message: /int64.*float32/ });
  t.throws(() => F.crossEntropy(logits, tn.tensor([0, 1, 2], { dtype: 'int32' })), { message: /int64.*int32/ });
  t.throws(() => F.crossEntropy(logits, int64([0, 1])), { message: /2 targets for 3 rows/ });
  t.throws(() => F.crossEntropy(tn.zeros([3]), int64([0, 1, 2])), { message: /\[batch, classes\]/ });
  t.throws(() => F.crossEntropy(logits, [0, 1, 2] as unknown as tn.Tensor), {
    instanceOf: TypeError,
    message: /targets/,
  });
  t.throws(() => F.softmax('x' as unknown as tn.Tensor), { instanceOf: TypeError });
});

test('loss.backward() fills grad for every Linear parameter of a small net', (t) => {
  tn.manualSeed(9);
  const net = new nn.Sequential([
    new nn.Linear(6, 8, { kernelInitializer: 'he_normal' }),
    new nn.ELU(),
    new nn.Linear(8, 5, { kernelInitializer: 'lecun_normal' }),
    new nn.SELU(),
    new nn.Linear(5, 3),
  ]);
  for (const p of net.parameters()) t.is(p.grad, undefined, 'no grad before backward');
  const x = tn.randn([10, 6]);
  const y = int64([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  const loss = F.crossEntropy(net.forward(x), y);
  t.true(loss.requiresGrad);
  loss.backward();
  for (const [name, p] of net.namedParameters()) {
    const g = p.grad;
    t.truthy(g, `${name} has a grad`);
    t.deepEqual(g!.shape, p.shape, name);
    t.true(g!.abs().max().item() > 0, `${name} grad is not all zero`);
    t.true(values(g!).every(Number.isFinite), `${name} grad is finite`);
  }
  // A second backward accumulates, like PyTorch.
  const first = values(net.namedParameters()[0]![1].grad!);
  F.crossEntropy(net.forward(x), y).backward();
  close(
    t,
    values(net.namedParameters()[0]![1].grad!),
    first.map((v) => 2 * v),
    1e-6,
    'accumulated grad',
  );
});

test('the gradient of crossEntropy w.r.t. a Linear bias is mean(softmax - onehot)', (t) => {
  tn.manualSeed(10);
  const layer = new nn.Linear(3, 4);
  const x = tn.randn([6, 3]);
  const y = [3, 0, 1, 1, 2, 0];
  const logits = layer.forward(x);
  const p = values(F.softmax(logits.detach()));
  F.crossEntropy(logits, int64(y)).backward();
  const expected = [0, 1, 2, 3].map((c) => y.reduce((s, label, i) => s + p[i * 4 + c]! - (label === c ? 1 : 0), 0) / 6);
  close(t, values(layer.namedParameters()[1]![1].grad!), expected, 1e-6, 'bias grad');
});

test('noGrad(() => ...) gives outputs that do not require grad, and restores grad mode', (t) => {
  const net = new nn.Sequential([new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2)]);
  const x = tn.randn([5, 4]);
  t.true(net.forward(x).requiresGrad);
  const out = tn.noGrad(() => net.forward(x));
  t.false(out.requiresGrad);
  t.false(tn.noGrad(() => F.crossEntropy(net.forward(x), int64([0, 1, 0, 1, 0]))).requiresGrad);
  t.true(tn.isGradEnabled());
  t.throws(() =>
    tn.noGrad(() => {
      throw new Error('inside');
    }),
  );
  t.true(tn.isGradEnabled(), 'grad mode is restored after a throw');
  t.true(net.forward(x).requiresGrad);
  // Same values with and without grad.
  close(t, values(out), values(net.forward(x)), 0, 'noGrad output');
});
