// The nn modules: parameter names and counts, state dicts, modes, errors, config round trips, and the
// statistics of the layers the exercise depends on (SELU self-normalization, AlphaDropout, Dropout,
// BatchNorm1d's running statistics checked against a hand computation).
import test from 'ava';
import * as tn from '../lib/index';
import { close, values } from './helpers/assert-close';

const { nn } = tn;

function stats(x: tn.Tensor): { mean: number; std: number } {
  return { mean: x.mean().item(), std: x.std().item() };
}

/** The exercise's ELU net: 20 x [Linear(100, he_normal), ELU] on 3,072 inputs, Linear(100, 10) out. */
function eluNet(): tn.nn.Sequential {
  const layers: tn.nn.Module[] = [];
  for (let i = 0; i < 20; i++) {
    layers.push(new nn.Linear(i === 0 ? 3072 : 100, 100, { kernelInitializer: 'he_normal' }), new nn.ELU());
  }
  layers.push(new nn.Linear(100, 10));
  return new nn.Sequential(layers);
}

/** Columns standardized to mean 0, std 1. */
function standardized(rows: number, cols: number): tn.Tensor {
  const x = tn.randn([rows, cols]);
  return x.sub(x.mean({ dim: 0, keepdim: true })).div(x.std({ dim: 0, keepdim: true }));
}

// ---------------------------------------------------------------- parameters and names

test("the exercise's ELU net has exactly 500,210 parameters, named like PyTorch", (t) => {
  const net = eluNet();
  t.is(net.parameterCount(), 3072 * 100 + 100 + 19 * (100 * 100 + 100) + 100 * 10 + 10);
  t.is(net.parameterCount(), 500_210);
  const named = net.namedParameters();
  t.is(named.length, 42);
  const expectedNames: string[] = [];
  for (let i = 0; i <= 40; i += 2) expectedNames.push(`${i}.weight`, `${i}.bias`);
  t.deepEqual(
    named.map(([name]) => name),
    expectedNames,
  );
  const shapes = Object.fromEntries(named.map(([name, p]) => [name, p.shape]));
  t.deepEqual(shapes['0.weight'], [100, 3072]);
  t.deepEqual(shapes['0.bias'], [100]);
  t.deepEqual(shapes['2.weight'], [100, 100]);
  t.deepEqual(shapes['40.weight'], [10, 100]);
  t.deepEqual(shapes['40.bias'], [10]);
  t.is(
    net.parameters().reduce((n, p) => n + p.size, 0),
    500_210,
  );
  t.true(net.parameters().every((p) => p.requiresGrad && p.dtype === 'float32'));
  t.deepEqual(net.namedBuffers(), []);
});

test('a Linear without bias has only a weight; activations have no parameters', (t) => {
  const linear = new nn.Linear(5, 3, { bias: false });
  t.deepEqual(
    linear.namedParameters().map(([name, p]) => [name, p.shape]),
    [['weight', [3, 5]]],
  );
  t.is(linear.parameterCount(), 15);
  for (const m of [new nn.ELU(), new nn.SELU(), new nn.ReLU(), new nn.Dropout(0.2), new nn.AlphaDropout(0.1)]) {
    t.is(m.parameterCount(), 0);
    t.deepEqual(m.namedParameters(), []);
  }
});

test('BatchNorm1d has weight/bias parameters and running_mean/running_var/num_batches_tracked buffers', (t) => {
  const net = new nn.Sequential([new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.ELU()]);
  t.deepEqual(
    net.namedParameters().map(([name, p]) => [name, p.shape]),
    [
      ['0.weight', [3, 4]],
      ['0.bias', [3]],
      ['1.weight', [3]],
      ['1.bias', [3]],
    ],
  );
  const buffers = net.namedBuffers();
  t.deepEqual(
    buffers.map(([name, b]) => [name, b.shape, b.dtype]),
    [
      ['1.running_mean', [3], 'float32'],
      ['1.running_var', [3], 'float32'],
      ['1.num_batches_tracked', [], 'int64'],
    ],
  );
  const byName = Object.fromEntries(buffers);
  t.deepEqual(values(byName['1.running_mean']!), [0, 0, 0]);
  t.deepEqual(values(byName['1.running_var']!), [1, 1, 1]);
  t.is(Number(byName['1.num_batches_tracked']!.item()), 0);
  // Buffers are not trainable and are not counted as parameters.
  t.is(net.parameterCount(), 12 + 3 + 6);
  t.deepEqual(Object.keys(net.stateDict()), [
    '0.weight',
    '0.bias',
    '1.weight',
    '1.bias',
    '1.running_mean',
    '1.running_var',
    '1.num_batches_tracked',
  ]);
  // A standalone BatchNorm1d has unprefixed names.
  t.deepEqual(
    new nn.BatchNorm1d(2).namedBuffers().map(([name]) => name),
    ['running_mean', 'running_var', 'num_batches_tracked'],
  );
});

// ---------------------------------------------------------------- state dicts

function bnNet(): tn.nn.Sequential {
  return new nn.Sequential([new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.ELU(), new nn.Linear(3, 2)]);
}

test('stateDict -> loadStateDict copies parameters and buffers, and the copy is independent', (t) => {
  tn.manualSeed(1);
  const a = bnNet();
  // Move a's running statistics away from their initial values.
  a.forward(tn.randn([16, 4]).mul(3).add(1));
  const b = bnNet();
  const x = tn.randn([5, 4]);
  a.eval();
  b.eval();
  t.notDeepEqual(values(b.forward(x)), values(a.forward(x)));

  b.loadStateDict(a.stateDict());
  for (const [name, tensorA] of Object.entries(a.stateDict())) {
    t.deepEqual(values(b.stateDict()[name]!), values(tensorA), name);
  }
  t.is(Number(b.stateDict()['1.num_batches_tracked']!.item()), 1);
  t.deepEqual(values(b.forward(x)), values(a.forward(x)));

  // Loading copies values: changing a afterwards leaves b alone.
  const before = values(b.forward(x));
  const zeroed = Object.fromEntries(
    Object.entries(a.stateDict()).map(([k, v]) => [k, tn.zeros(v.shape, { dtype: v.dtype })]),
  );
  a.loadStateDict(zeroed);
  t.deepEqual(values(a.namedParameters()[0]![1]), new Array(12).fill(0));
  t.deepEqual(values(b.forward(x)), before);
});

test('stateDict returns live handles: parameters are the module own tensors', (t) => {
  const linear = new nn.Linear(2, 2, { kernelInitializer: 'zeros', biasInitializer: 'zeros' });
  linear.loadStateDict({
    weight: tn.tensor([
      [1, 2],
      [3, 4],
    ]),
    bias: tn.tensor([0.5, -0.5]),
  });
  const state = linear.stateDict();
  t.deepEqual(values(state.weight!), [1, 2, 3, 4]);
  t.deepEqual(values(linear.forward(tn.tensor([[1, 1]]))), [3.5, 6.5]);
});

test('loadStateDict names a missing key, an extra key, and a shape mismatch with both shapes', (t) => {
  const net = bnNet();
  const full = (): Record<string, tn.Tensor> =>
    Object.fromEntries(Object.entries(bnNet().stateDict()).map(([k, v]) => [k, v.clone()]));

  const missing = full();
  delete missing['3.bias'];
  t.throws(() => net.loadStateDict(missing), { instanceOf: Error, message: /missing key '3\.bias'/ });

  const missingBuffer = full();
  delete missingBuffer['1.running_var'];
  t.throws(() => net.loadStateDict(missingBuffer), { message: /missing key '1\.running_var'/ });

  const extra = { ...full(), '4.weight': tn.zeros([2, 2]) };
  t.throws(() => net.loadStateDict(extra), { message: /unexpected key '4\.weight'/ });

  const wrongShape = { ...full(), '0.weight': tn.zeros([4, 3]) };
  const error = t.throws(() => net.loadStateDict(wrongShape), { instanceOf: Error });
  t.regex(error!.message, /'0\.weight'/);
  t.regex(error!.message, /\[3, 4\]/, 'the model shape');
  t.regex(error!.message, /\[4, 3\]/, 'the state dict shape');

  t.throws(() => net.loadStateDict({ ...full(), '0.bias': [1, 2, 3] as unknown as tn.Tensor }), {
    instanceOf: TypeError,
    message: /'0\.bias' must be a Tensor/,
  });
  t.throws(() => net.loadStateDict(null as unknown as Record<string, tn.Tensor>), { instanceOf: TypeError });
});

test('a failed loadStateDict changes nothing', (t) => {
  const net = bnNet();
  const snapshot = (): Record<string, number[]> =>
    Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [k, values(v)]));
  const before = snapshot();
  const ones = (): Record<string, tn.Tensor> =>
    Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [k, tn.ones(v.shape, { dtype: v.dtype })]));

  // Every key valid with new values except the last parameter's shape: the earlier ones must not be copied.
  const badLast = { ...ones(), '3.bias': tn.ones([3]) };
  t.throws(() => net.loadStateDict(badLast), { message: /shape mismatch.*'3\.bias'/ });
  t.deepEqual(snapshot(), before);

  const badBuffer = { ...ones(), '1.running_mean': tn.ones([4]) };
  t.throws(() => net.loadStateDict(badBuffer), { message: /'1\.running_mean'/ });
  t.deepEqual(snapshot(), before);

  const withExtra = { ...ones(), extra: tn.ones([1]) };
  t.throws(() => net.loadStateDict(withExtra), { message: /unexpected key 'extra'/ });
  t.deepEqual(snapshot(), before);

  const withMissing = ones();
  delete withMissing['1.num_batches_tracked'];
  t.throws(() => net.loadStateDict(withMissing), { message: /missing key '1\.num_batches_tracked'/ });
  t.deepEqual(snapshot(), before);

  // And the valid dict does load.
  net.loadStateDict(ones());
  t.true(Object.values(snapshot()).every((v) => v.every((x) => x === 1)));
});

// ---------------------------------------------------------------- modes, devices, errors

test('train() / eval() / training, on a Sequential and its children', (t) => {
  const linear = new nn.Linear(3, 3);
  const dropout = new nn.Dropout(0.5);
  const bn = new nn.BatchNorm1d(3);
  const net = new nn.Sequential([linear, bn, dropout]);
  t.true(net.training, 'modules start in training mode');
  t.is(net.eval(), net, 'eval() returns this');
  t.false(net.training);
  t.false(linear.training);
  t.false(dropout.training);
  t.false(bn.training);
  t.is(net.train(), net, 'train() returns this');
  t.true(net.training);
  t.true(dropout.training);
  net.train(false);
  t.false(net.training);
  t.false(bn.training);
  net.train(true);
  t.true(bn.training);
});

test("to('cpu') keeps the module on the CPU and returns it; unknown devices are an Error", (t) => {
  const net = bnNet();
  t.is(net.to('cpu'), net);
  t.true(net.parameters().every((p) => p.device === 'cpu'));
  t.true(net.namedBuffers().every(([, b]) => b.device === 'cpu'));
  t.deepEqual(net.forward(tn.zeros([2, 4])).shape, [2, 2]);
  t.throws(() => net.to('tpu' as tn.Device), { instanceOf: Error, message: /unknown device 'tpu'/ });
  if (!tn.cuda.isAvailable()) {
    t.throws(() => net.to('cuda'), { instanceOf: Error, message: /CUDA is not available/ });
  }
});

test('a wrong input shape to forward throws an Error naming the shape', (t) => {
  const linear = new nn.Linear(4, 3);
  t.throws(() => linear.forward(tn.zeros([2, 5])), { instanceOf: Error, message: /\[2, 5\]/ });
  const net = eluNet();
  t.throws(() => net.forward(tn.zeros([8, 3071])), { instanceOf: Error, message: /\[8, 3071\]/ });
  t.throws(() => new nn.BatchNorm1d(3).forward(tn.zeros([4, 5])), { instanceOf: Error, message: /\[4, 5\]/ });
  t.throws(() => linear.forward([1, 2, 3, 4] as unknown as tn.Tensor), { instanceOf: TypeError });
  // The process is fine afterwards.
  t.deepEqual(linear.forward(tn.zeros([2, 4])).shape, [2, 3]);
});

test('bad layer options are Errors, not aborts', (t) => {
  t.throws(() => new nn.Linear(0, 3), { instanceOf: Error, message: /inFeatures/ });
  t.throws(() => new nn.Dropout(1), { instanceOf: Error, message: /\[0, 1\)/ });
  t.throws(() => new nn.AlphaDropout(-0.1), { instanceOf: Error, message: /\[0, 1\)/ });
  t.throws(() => new nn.BatchNorm1d(3, { eps: 0 }), { instanceOf: Error, message: /eps/ });
  t.throws(() => new nn.BatchNorm1d(3, { momentum: 2 }), { instanceOf: Error, message: /momentum/ });
});

test('Sequential rejects non-modules with a TypeError', (t) => {
  t.throws(() => new nn.Sequential([new nn.Linear(2, 2), {} as tn.nn.Module]), {
    instanceOf: TypeError,
    message: /layer 1 is not a Module/,
  });
  t.throws(() => new nn.Sequential([tn.zeros([2]) as unknown as tn.nn.Module]), {
    instanceOf: TypeError,
    message: /layer 0/,
  });
  t.throws(() => new nn.Sequential(new nn.Linear(2, 2) as unknown as tn.nn.Module[]), { instanceOf: TypeError });
  const net = new nn.Sequential([new nn.Linear(2, 3), new nn.ReLU()]);
  t.is(net.length, 2);
  t.true(net.at(1) instanceof nn.ReLU);
  t.is([...net].length, 2);
});

test('a Sequential shares its children: forward equals the layers applied by hand', (t) => {
  const a = new nn.Linear(4, 3);
  const act = new nn.ELU({ alpha: 0.5 });
  const b = new nn.Linear(3, 2);
  const net = new nn.Sequential([a, act, b]);
  const x = tn.randn([6, 4]);
  close(t, values(net.forward(x)), values(b.forward(act.forward(a.forward(x)))), 1e-6);
  // Loading into the child changes the parent's view of it.
  a.loadStateDict({ weight: tn.zeros([3, 4]), bias: tn.zeros([3]) });
  t.deepEqual(values(net.stateDict()['0.weight']!), new Array(12).fill(0));
});

test('fromConfig(m.config) rebuilds the same architecture: names, shapes, options', (t) => {
  const layers: tn.nn.Module[] = [new nn.BatchNorm1d(3072, { momentum: 0.01, eps: 1e-3 })];
  for (let i = 0; i < 3; i++) {
    layers.push(new nn.Linear(i === 0 ? 3072 : 100, 100, { kernelInitializer: 'he_normal' }));
    layers.push(new nn.BatchNorm1d(100), new nn.ELU({ alpha: 0.7 }));
  }
  layers.push(new nn.AlphaDropout(0.1), new nn.SELU(), new nn.Dropout(0.3), new nn.ReLU());
  layers.push(new nn.Linear(100, 10, { bias: false }));
  const m = new nn.Sequential(layers);
  const rebuilt = nn.fromConfig(JSON.parse(JSON.stringify(m.config)));
  t.true(rebuilt instanceof nn.Sequential);
  const shapes = (mod: tn.nn.Module) => mod.namedParameters().map(([name, p]) => [name, p.shape]);
  const bufferShapes = (mod: tn.nn.Module) => mod.namedBuffers().map(([name, b]) => [name, b.shape]);
  t.deepEqual(shapes(rebuilt), shapes(m));
  t.deepEqual(bufferShapes(rebuilt), bufferShapes(m));
  t.is(rebuilt.parameterCount(), m.parameterCount());
  t.deepEqual(
    (rebuilt as tn.nn.Sequential).layers.map((l) => l.config.type),
    m.layers.map((l) => l.config.type),
  );
  const configs = (rebuilt as tn.nn.Sequential).layers.map((l) => l.config);
  t.like(configs[0], { type: 'BatchNorm1d', numFeatures: 3072, momentum: 0.01, eps: 1e-3 });
  t.like(configs[3], { type: 'ELU', alpha: 0.7 });
  t.like(configs[10], { type: 'AlphaDropout', p: 0.1 });
  t.like(configs[12], { type: 'Dropout', p: 0.3 });
  t.like(configs[14], { type: 'Linear', inFeatures: 100, outFeatures: 10, bias: false });

  // Same weights in, same function out (eval mode: no dropout, running statistics).
  rebuilt.loadStateDict(m.stateDict());
  m.eval();
  rebuilt.eval();
  const x = tn.randn([4, 3072]);
  close(t, values(rebuilt.forward(x)), values(m.forward(x)), 1e-6);

  // The initializers travel with the config: a rebuilt Linear is initialized the same way.
  const init = new nn.Linear(300, 200, { kernelInitializer: { constant: 0.25 }, biasInitializer: 'zeros' });
  const [[, w], [, b]] = nn.fromConfig(JSON.parse(JSON.stringify(init.config))).namedParameters() as [
    [string, tn.Tensor],
    [string, tn.Tensor],
  ];
  t.is(w.min().item(), 0.25);
  t.is(w.max().item(), 0.25);
  t.is(b.abs().max().item(), 0);
  tn.manualSeed(31);
  const he = new nn.Linear(3072, 100, { kernelInitializer: 'he_normal' });
  const heStd = nn.fromConfig(he.config).namedParameters()[0]![1].std().item();
  t.true(Math.abs(heStd / Math.sqrt(2 / 3072) - 1) < 0.02, `rebuilt he_normal std ${heStd}`);

  t.throws(() => nn.fromConfig({ type: 'Conv2d' }), { message: /unknown module type 'Conv2d'/ });
  t.throws(() => nn.fromConfig({ type: 'Linear', inFeatures: '3' }), { message: /Linear\.inFeatures/ });
});

// ---------------------------------------------------------------- SELU self-normalization

function deepNet(activation: () => tn.nn.Module, kernelInitializer: tn.nn.Initializer): tn.nn.Sequential {
  const layers: tn.nn.Module[] = [];
  for (let i = 0; i < 20; i++) {
    layers.push(new nn.Linear(100, 100, { kernelInitializer, biasInitializer: 'zeros' }), activation());
  }
  return new nn.Sequential(layers);
}

test('SELU self-normalizes: 20 x [Linear(100, lecun_normal), SELU] keeps mean ~0 and std ~1', (t) => {
  for (const seed of [42, 7]) {
    tn.manualSeed(seed);
    const x = standardized(1000, 100);
    const selu = deepNet(() => new nn.SELU(), 'lecun_normal');
    const relu = deepNet(() => new nn.ReLU(), 'he_normal');
    const tanh = deepNet(() => new nn.Tanh(), 'lecun_normal');
    const [s, r, h] = tn.noGrad(() => [selu, relu, tanh].map((net) => stats(net.forward(x))));
    t.log(`seed ${seed}: SELU ${JSON.stringify(s)}, ReLU+he ${JSON.stringify(r)}, tanh ${JSON.stringify(h)}`);
    t.true(Math.abs(s!.mean) < 0.1, `SELU mean ${s!.mean}`);
    t.true(Math.abs(s!.std - 1) < 0.15, `SELU std ${s!.std}`);
    // Without self-normalization the statistics drift: ReLU's outputs are all >= 0, so their mean moves
    // well away from 0, and tanh (a contraction) shrinks the std layer after layer.
    t.true(r!.mean > 0.4 * r!.std, `ReLU mean ${r!.mean}, std ${r!.std}`);
    t.true(h!.std < 0.6, `tanh std ${h!.std}`);
    const distance = (v: { mean: number; std: number }) => Math.abs(v.mean) + Math.abs(v.std - 1);
    t.true(distance(s!) < distance(r!) && distance(s!) < distance(h!));
  }
});

// ---------------------------------------------------------------- dropout

// 10^6 standard normal entries: the standard error of a mean is 0.001, of a variance about 0.002,
// so the tolerances below (0.01, 0.03) are many standard errors wide.
test('AlphaDropout keeps the mean and variance of a standardized input in train mode', (t) => {
  tn.manualSeed(3);
  const x = standardized(1000, 1000);
  const input = stats(x);
  for (const p of [0.1, 0.2]) {
    const layer = new nn.AlphaDropout(p);
    t.true(layer.training);
    const y = layer.forward(x);
    const out = stats(y);
    t.log(`p=${p}: mean ${out.mean}, std ${out.std}`);
    t.true(Math.abs(out.mean - input.mean) < 0.01, `mean ${out.mean}`);
    t.true(Math.abs(out.std ** 2 - input.std ** 2) < 0.03, `variance ${out.std ** 2}`);
    // It did drop: a share p of the entries is the single value -alpha' * a (alpha' = SELU's
    // lambda * alpha, a = ((1 - p) (1 + p alpha'^2))^(-1/2)), after the affine correction.
    const alphaPrime = 1.0507009873554805 * 1.6732632423543772;
    const a = 1 / Math.sqrt((1 - p) * (1 + p * alphaPrime ** 2));
    const dropped = -alphaPrime * a * (1 - p);
    const share = y.sub(dropped).abs().lt(1e-5).to('float32').mean().item();
    t.true(Math.abs(share - p) < 0.005, `dropped share ${share}`);
  }
});

test('AlphaDropout is the identity in eval mode', (t) => {
  const x = standardized(200, 500);
  const layer = new nn.AlphaDropout(0.2).eval();
  t.deepEqual(values(layer.forward(x)), values(x));
  t.deepEqual(values(new nn.AlphaDropout(0).forward(x)), values(x), 'p = 0 in train mode too');
});

test('Dropout zeroes about p of the entries and scales the rest by 1/(1-p) in train mode; identity in eval', (t) => {
  tn.manualSeed(4);
  const x = tn.ones([1000, 1000]);
  for (const p of [0.2, 0.5]) {
    const layer = new nn.Dropout(p);
    const y = layer.forward(x);
    const zeros = y.eq(0).to('float32').sum().item() / 1e6;
    const scaled =
      y
        .sub(1 / (1 - p))
        .abs()
        .lt(1e-6)
        .to('float32')
        .sum()
        .item() / 1e6;
    t.true(Math.abs(zeros - p) < 0.005, `zero share ${zeros}`);
    t.is(zeros + scaled, 1, 'every entry is 0 or 1/(1-p)');
    t.true(Math.abs(y.mean().item() - 1) < 0.01, 'the mean is kept');
    layer.eval();
    t.deepEqual(values(layer.forward(x.narrow(0, 0, 10))), new Array(10_000).fill(1));
  }
  const z = tn.randn([50, 50]);
  t.deepEqual(values(new nn.Dropout(0.5).eval().forward(z)), values(z));
});

// ---------------------------------------------------------------- BatchNorm1d

/** Per-column mean, biased and unbiased variance of a row-major [n, c] matrix. */
function columnStats(data: readonly number[], n: number, c: number) {
  const column = (j: number) => Array.from({ length: n }, (_, i) => data[i * c + j]!);
  const mean = Array.from({ length: c }, (_, j) => column(j).reduce((s, v) => s + v, 0) / n);
  const biased = mean.map((m, j) => column(j).reduce((s, v) => s + (v - m) ** 2, 0) / n);
  return { mean, biased, unbiased: biased.map((v) => (v * n) / (n - 1)) };
}

for (const { momentum, eps, label } of [
  { momentum: 0.1, eps: 1e-5, label: 'PyTorch defaults' },
  { momentum: 0.01, eps: 1e-3, label: 'Keras-style momentum 0.01, eps 1e-3' },
]) {
  test(`BatchNorm1d (${label}): batch statistics in train mode, running statistics in eval, vs a hand computation`, (t) => {
    const n = 8;
    const c = 3;
    const bn = label === 'PyTorch defaults' ? new nn.BatchNorm1d(c) : new nn.BatchNorm1d(c, { momentum, eps });
    t.is(bn.momentum, momentum);
    t.is(bn.eps, eps);
    const gamma = [2, 0.5, -1];
    const beta = [0.1, -0.2, 0.3];
    bn.loadStateDict({ ...bn.stateDict(), weight: tn.tensor(gamma), bias: tn.tensor(beta) });

    let runningMean = [0, 0, 0];
    let runningVar = [1, 1, 1];
    tn.manualSeed(5);
    for (let step = 1; step <= 3; step++) {
      // Columns with different scales and offsets, so that eps and the variance correction both show.
      const x = tn
        .randn([n, c])
        .mul(tn.tensor([[1, 0.05, 3]]))
        .add(tn.tensor([[0.5, -2, 4]]));
      const data = values(x);
      const s = columnStats(data, n, c);
      const expected: number[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < c; j++) {
          expected.push(((data[i * c + j]! - s.mean[j]!) / Math.sqrt(s.biased[j]! + eps)) * gamma[j]! + beta[j]!);
        }
      }
      close(t, values(bn.forward(x)), expected, 2e-5, `train output, step ${step}`);
      runningMean = runningMean.map((r, j) => (1 - momentum) * r + momentum * s.mean[j]!);
      runningVar = runningVar.map((r, j) => (1 - momentum) * r + momentum * s.unbiased[j]!);
      const state = bn.stateDict();
      close(t, values(state.running_mean!), runningMean, 1e-6, `running_mean, step ${step}`);
      close(t, values(state.running_var!), runningVar, 1e-5, `running_var, step ${step}`);
      t.is(Number(state.num_batches_tracked!.item()), step);
    }

    bn.eval();
    const x = tn.tensor([
      [0, 1, 2],
      [-1, 0.5, 7],
    ]);
    const data = values(x);
    const expected = data.map((v, k) => {
      const j = k % c;
      return ((v - runningMean[j]!) / Math.sqrt(runningVar[j]! + eps)) * gamma[j]! + beta[j]!;
    });
    close(t, values(bn.forward(x)), expected, 1e-4, 'eval output');
    // Eval mode does not update the running statistics.
    close(t, values(bn.stateDict().running_mean!), runningMean, 1e-6, 'running_mean after eval');
    t.is(Number(bn.stateDict().num_batches_tracked!.item()), 3);
  });
}
