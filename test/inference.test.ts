import test from 'ava';
import * as tn from '../lib/index';
import { blobs, mlp } from './helpers/train-data';

const buffers = (m: tn.nn.Module): Record<string, number[]> =>
  Object.fromEntries(
    m.namedBuffers().map(([k, t]) => [k, Array.from(t.toArray() as ArrayLike<number | bigint>, Number)]),
  );

function dropoutBn(): tn.nn.Sequential {
  tn.manualSeed(8);
  return new tn.nn.Sequential([
    new tn.nn.BatchNorm1d(20),
    new tn.nn.Linear(20, 32),
    new tn.nn.BatchNorm1d(32),
    new tn.nn.ReLU(),
    new tn.nn.Dropout(0.3),
    new tn.nn.Linear(32, 10),
  ]);
}

async function trained(model: tn.nn.Module, data: { x: tn.Tensor; y: tn.Tensor }): Promise<void> {
  await tn.fit(model, new tn.optim.NAdam(model.parameters(), { lr: 3e-3 }), data, { epochs: 2, seed: 1 });
}

test.serial('predict gives probabilities (rows sum to 1) that match softmax(forward) in eval mode', async (t) => {
  const data = blobs(300);
  const model = mlp('bn');
  await trained(model, data);
  model.train();
  const p = await tn.predict(model, data.x, { batchSize: 64 });
  t.deepEqual(p.shape, [300, 10]);
  t.true(model.training, 'the mode is restored');
  const sums = p.sum({ dim: 1 }).toArray() as Float32Array;
  for (const s of sums) t.true(Math.abs(s - 1) < 1e-5);
  model.eval();
  const reference = tn.noGrad(() => tn.nn.functional.softmax(model.forward(data.x), 1));
  const a = p.toArray() as Float32Array;
  const b = reference.toArray() as Float32Array;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  t.true(worst < 1e-6, `max difference ${worst}`);
});

test.serial('evaluate: the mean cross-entropy and accuracy of the whole set, whatever the batch size', async (t) => {
  const data = blobs(250);
  const model = mlp('elu');
  await trained(model, data);
  const a = await tn.evaluate(model, data, { batchSize: 7 });
  const b = await tn.evaluate(model, data, { batchSize: 1000 });
  const logits = tn.noGrad(() => model.eval().forward(data.x));
  const loss = tn.nn.functional.crossEntropy(logits, data.y).item();
  const predicted = logits.argmax({ dim: 1 }).toArray() as BigInt64Array;
  const labels = data.y.toArray() as BigInt64Array;
  const accuracy = predicted.filter((v, i) => v === labels[i]).length / 250;
  t.true(Math.abs(a.loss - loss) < 1e-5 && Math.abs(b.loss - loss) < 1e-5, `${a.loss} ${b.loss} ${loss}`);
  t.is(a.accuracy, accuracy);
  t.is(b.accuracy, accuracy);
});

test.serial('predictMC: std > 0 with dropout, exactly 0 (and the predict probabilities) without', async (t) => {
  const data = blobs(200);
  for (const model of [mlp('alpha-dropout'), dropoutBn()]) {
    await trained(model, data);
    const { mean, std } = await tn.predictMC(model, data.x, { samples: 10, batchSize: 64 });
    t.deepEqual(mean.shape, [200, 10]);
    t.deepEqual(std.shape, [200, 10]);
    const s = std.toArray() as Float32Array;
    t.true(
      s.every((v) => v >= 0),
      'std >= 0',
    );
    t.true(std.max().item() > 1e-4, `max std ${std.max().item()}`);
    const sums = mean.sum({ dim: 1 }).toArray() as Float32Array;
    for (const v of sums) t.true(Math.abs(v - 1) < 1e-5);
  }
  const plain = mlp('bn');
  await trained(plain, data);
  const mc = await tn.predictMC(plain, data.x, { samples: 10 });
  t.true((mc.std.toArray() as Float32Array).every((v) => v === 0));
  t.deepEqual(mc.mean.toArray(), (await tn.predict(plain, data.x)).toArray());
});

test.serial('predictMC is seeded, and its mean stays near the deterministic prediction', async (t) => {
  const data = blobs(100);
  const model = dropoutBn();
  await trained(model, data);
  tn.manualSeed(5);
  const a = await tn.predictMC(model, data.x, { samples: 8 });
  tn.manualSeed(5);
  const b = await tn.predictMC(model, data.x, { samples: 8 });
  t.deepEqual(a.mean.toArray(), b.mean.toArray());
  t.deepEqual(a.std.toArray(), b.std.toArray());
  // The MC mean stays near the deterministic prediction (dropout 0.3 on a trained model).
  const p = (await tn.predict(model, data.x)).toArray() as Float32Array;
  const m = a.mean.toArray() as Float32Array;
  let mad = 0;
  for (let i = 0; i < p.length; i++) mad += Math.abs(p[i]! - m[i]!) / p.length;
  t.true(mad < 0.1, `mean absolute difference ${mad}`);
});

test.serial('BatchNorm running statistics are unchanged by predictMC, evaluate and predict', async (t) => {
  const data = blobs(200);
  const model = dropoutBn();
  await trained(model, data);
  const before = buffers(model);
  model.train();
  await tn.predictMC(model, data.x, { samples: 10 });
  await tn.evaluate(model, data);
  await tn.predict(model, data.x);
  t.deepEqual(buffers(model), before);
  t.true(model.training);
  // ... while fit does change them.
  await trained(model, data);
  t.notDeepEqual(buffers(model), before);
});

test.serial('inference errors: samples, batchSize, labels, model', async (t) => {
  const data = blobs(20);
  const model = mlp('elu');
  await t.throwsAsync(tn.predictMC(model, data.x, { samples: 0 }), { message: /samples must be a positive integer/ });
  await t.throwsAsync(tn.predict(model, data.x, { batchSize: -1 }), {
    message: /batchSize must be a positive integer/,
  });
  await t.throwsAsync(tn.evaluate(model, { x: data.x, y: data.y.to('int32') }), { message: /y must be int64/ });
  await t.throwsAsync(tn.predict({} as tn.nn.Module, data.x), {
    instanceOf: TypeError,
    message: /model must be a Module/,
  });
  await t.throwsAsync(tn.predict(model, tn.zeros([3, 5])), { message: /predict/ });
});

test.serial(
  'predictMC equals stochastic forwards of the repeated batch (dropout in the middle, BN in eval)',
  async (t) => {
    const data = blobs(50);
    const model = dropoutBn();
    await trained(model, data);
    const samples = 6;
    tn.manualSeed(31);
    const mc = await tn.predictMC(model, data.x, { samples, batchSize: 1000 });
    // The same by hand: eval mode, dropout stochastic, one forward of the batch repeated `samples` times.
    model.eval();
    for (const layer of model) if (layer instanceof tn.nn.Dropout) layer.train();
    tn.manualSeed(31);
    const repeated = tn.cat(Array.from({ length: samples }, () => data.x));
    const probs = tn.noGrad(() => tn.nn.functional.softmax(model.forward(repeated), 1)).reshape([samples, 50, 10]);
    const mean = probs.mean({ dim: 0 }).toArray() as Float32Array;
    const m = mc.mean.toArray() as Float32Array;
    let worst = 0;
    for (let i = 0; i < m.length; i++) worst = Math.max(worst, Math.abs(m[i]! - mean[i]!));
    t.true(worst < 1e-5, `max difference ${worst}`);
    t.true(mc.std.max().item() > 1e-4);
  },
);
