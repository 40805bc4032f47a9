// Initializer statistics on a large layer: Linear(3072, 100) has a [100, 3072] weight (307,200 draws,
// fanIn 3072, fanOut 100). With that many draws the standard error of the sample std is about 0.13 %
// of the std and that of the mean about std / 554, so the tolerances below (2 % on the std, 6 standard
// errors on the mean) do not flake, while a wrong formula (a factor sqrt(2), a missing truncation
// correction: 13.7 %) fails them.
import test from 'ava';
import * as tn from '../lib/index';

const { nn } = tn;

const fanIn = 3072;
const fanOut = 100;
const n = fanIn * fanOut;
// The std of a standard normal truncated to [-2, 2].
const truncatedStd = 0.87962566103423978;

function weightOf(kernelInitializer: tn.nn.Initializer): tn.Tensor {
  const layer = new nn.Linear(fanIn, fanOut, { kernelInitializer });
  const [name, weight] = layer.namedParameters()[0]!;
  if (name !== 'weight') throw new Error(`expected the weight first, got ${name}`);
  return weight;
}

function summary(w: tn.Tensor) {
  return {
    mean: w.mean().item(),
    std: w.std().item(),
    maxAbs: w.abs().max().item(),
    min: w.min().item(),
    max: w.max().item(),
  };
}

const keras = [
  { name: 'he_normal', target: Math.sqrt(2 / fanIn) },
  { name: 'lecun_normal', target: Math.sqrt(1 / fanIn) },
  { name: 'glorot_normal', target: Math.sqrt(2 / (fanIn + fanOut)) },
] as const;

for (const { name, target } of keras) {
  test(`${name}: std within 2 % of ${target.toPrecision(4)}, |w| within the 2-sigma truncation, mean ~0`, (t) => {
    tn.manualSeed(11);
    const w = weightOf(name);
    t.deepEqual(w.shape, [fanOut, fanIn]);
    const s = summary(w);
    t.log(name, s);
    t.true(Math.abs(s.std / target - 1) < 0.02, `std ${s.std}, target ${target}`);
    const bound = (2 * target) / truncatedStd;
    t.true(s.maxAbs <= bound * (1 + 1e-6), `max |w| ${s.maxAbs} beyond the bound ${bound}`);
    // Truncated at 2 sigma_raw, not earlier: draws come close to the bound...
    t.true(s.maxAbs > 0.99 * bound, `max |w| ${s.maxAbs} well inside the bound ${bound}`);
    // ...and it is a truncated normal, not a clamped one: no pile-up at the bound, and the share inside
    // one sigma_raw is (Phi(1) - Phi(-1)) / (Phi(2) - Phi(-2)) = 0.7152 (standard error 0.0008).
    const atBound = w
      .abs()
      .gt(bound * 0.9999)
      .to('float32')
      .mean()
      .item();
    t.true(atBound < 1e-4, `share at the bound ${atBound}`);
    const inside = w
      .abs()
      .lt(target / truncatedStd)
      .to('float32')
      .mean()
      .item();
    t.true(Math.abs(inside - 0.7152) < 0.005, `share within one sigma_raw ${inside}`);
    t.true(Math.abs(s.mean) < (6 * target) / Math.sqrt(n), `mean ${s.mean}`);
  });
}

test('kaiming_normal: PyTorch N(0, 2/fanIn), untruncated (max |w| beyond the Keras bound)', (t) => {
  tn.manualSeed(12);
  const target = Math.sqrt(2 / fanIn);
  const s = summary(weightOf('kaiming_normal'));
  t.log(s);
  t.true(Math.abs(s.std / target - 1) < 0.02, `std ${s.std}, target ${target}`);
  // 2.27 % of normal draws lie beyond 2 / 0.8796 = 2.27 sigma; the largest of 307,200 is near 4.5 sigma.
  t.true(s.maxAbs > (2 * target) / truncatedStd, `max |w| ${s.maxAbs}`);
  t.true(s.maxAbs > 3.5 * target, `max |w| ${s.maxAbs}`);
  t.true(Math.abs(s.mean) < (6 * target) / Math.sqrt(n), `mean ${s.mean}`);
});

test('glorot_uniform: U(-l, l) with l = sqrt(6/(fanIn+fanOut)), std sqrt(2/(fanIn+fanOut))', (t) => {
  tn.manualSeed(13);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const target = Math.sqrt(2 / (fanIn + fanOut));
  const s = summary(weightOf('glorot_uniform'));
  t.log(s);
  t.true(Math.abs(s.std / target - 1) < 0.02, `std ${s.std}, target ${target}`);
  t.true(s.maxAbs <= limit, `max |w| ${s.maxAbs}, limit ${limit}`);
  t.true(s.max > 0.999 * limit && s.min < -0.999 * limit, `range [${s.min}, ${s.max}]`);
  t.true(Math.abs(s.mean) < (6 * target) / Math.sqrt(n), `mean ${s.mean}`);
});

test('kaiming_uniform and torch_default: uniform with l = sqrt(6/fanIn) and 1/sqrt(fanIn)', (t) => {
  tn.manualSeed(14);
  for (const [name, limit] of [
    ['kaiming_uniform', Math.sqrt(6 / fanIn)],
    ['torch_default', 1 / Math.sqrt(fanIn)],
  ] as const) {
    const s = summary(weightOf(name));
    t.true(Math.abs(s.std / (limit / Math.sqrt(3)) - 1) < 0.02, `${name} std ${s.std}`);
    t.true(s.maxAbs <= limit && s.maxAbs > 0.999 * limit, `${name} max |w| ${s.maxAbs}, limit ${limit}`);
  }
  // torch_default's bias is PyTorch's U(-1/sqrt(fanIn), 1/sqrt(fanIn)), not zeros.
  const bias = new nn.Linear(fanIn, 1000).namedParameters()[1]![1];
  const b = summary(bias);
  t.true(b.maxAbs <= 1 / Math.sqrt(fanIn) && b.maxAbs > 0.9 / Math.sqrt(fanIn), `bias max |b| ${b.maxAbs}`);
});

test('zeros, ones, { constant }, { normal }, { uniform }', (t) => {
  tn.manualSeed(15);
  const zeros = summary(weightOf('zeros'));
  t.is(zeros.maxAbs, 0);
  const ones = summary(weightOf('ones'));
  t.is(ones.min, 1);
  t.is(ones.max, 1);
  const constant = summary(weightOf({ constant: -0.25 }));
  t.is(constant.min, -0.25);
  t.is(constant.max, -0.25);

  const normal = summary(weightOf({ normal: { mean: 1, std: 0.1 } }));
  t.true(Math.abs(normal.mean - 1) < (6 * 0.1) / Math.sqrt(n), `normal mean ${normal.mean}`);
  t.true(Math.abs(normal.std / 0.1 - 1) < 0.02, `normal std ${normal.std}`);
  const standard = summary(weightOf({ normal: { std: 2 } }));
  t.true(Math.abs(standard.mean) < (6 * 2) / Math.sqrt(n), `mean defaults to 0: ${standard.mean}`);

  const uniform = summary(weightOf({ uniform: { low: -0.2, high: 0.3 } }));
  t.true(uniform.min >= -0.2 && uniform.min < -0.199, `uniform min ${uniform.min}`);
  t.true(uniform.max <= 0.3 && uniform.max > 0.299, `uniform max ${uniform.max}`);
  t.true(Math.abs(uniform.mean - 0.05) < (6 * 0.5) / Math.sqrt(12 * n), `uniform mean ${uniform.mean}`);
  t.true(Math.abs(uniform.std / (0.5 / Math.sqrt(12)) - 1) < 0.02, `uniform std ${uniform.std}`);
});

test('biasInitializer applies to the bias only', (t) => {
  const layer = new nn.Linear(50, 40, { kernelInitializer: 'ones', biasInitializer: { constant: 0.5 } });
  const [[, w], [, b]] = layer.namedParameters() as [[string, tn.Tensor], [string, tn.Tensor]];
  t.is(w.min().item(), 1);
  t.is(b.min().item(), 0.5);
  t.is(b.max().item(), 0.5);
  const zeroBias = new nn.Linear(50, 40, { kernelInitializer: 'he_normal', biasInitializer: 'zeros' });
  t.is(zeroBias.namedParameters()[1]![1].abs().max().item(), 0);
  t.true(zeroBias.namedParameters()[0]![1].abs().max().item() > 0);
  t.true(w.requiresGrad && b.requiresGrad, 'initialized parameters still require grad');
});

test('manualSeed makes initialization reproducible', (t) => {
  const draw = (seed: number, init: tn.nn.Initializer) => {
    tn.manualSeed(seed);
    return Array.from(weightOf(init).narrow(0, 0, 2).toArray() as Float32Array);
  };
  for (const init of ['he_normal', 'lecun_normal', 'glorot_uniform', 'kaiming_normal', 'torch_default'] as const) {
    t.deepEqual(draw(21, init), draw(21, init), init);
    t.notDeepEqual(draw(21, init), draw(22, init), init);
  }
  // Whole nets too: two nets built after the same seed have the same weights.
  const net = () => {
    tn.manualSeed(5);
    return new nn.Sequential([
      new nn.Linear(30, 20, { kernelInitializer: 'lecun_normal' }),
      new nn.SELU(),
      new nn.Linear(20, 3),
    ]);
  };
  const a = net().stateDict();
  const b = net().stateDict();
  for (const key of Object.keys(a))
    t.deepEqual(Array.from(a[key]!.toArray() as Float32Array), Array.from(b[key]!.toArray() as Float32Array), key);
});

test('an unknown initializer name is an Error listing the valid names', (t) => {
  const error = t.throws(() => new nn.Linear(3, 2, { kernelInitializer: 'he_uniform' as tn.nn.InitializerName }), {
    instanceOf: Error,
  });
  t.regex(error!.message, /unknown initializer 'he_uniform'/);
  for (const valid of ['he_normal', 'lecun_normal', 'glorot_uniform', 'kaiming_normal', 'zeros', 'torch_default']) {
    t.true(error!.message.includes(valid), `the message lists ${valid}: ${error!.message}`);
  }
  t.throws(() => new nn.Linear(3, 2, { biasInitializer: 'nope' as tn.nn.InitializerName }), {
    message: /unknown initializer 'nope'/,
  });
  t.throws(() => new nn.Linear(3, 2, { kernelInitializer: { gaussian: 1 } as unknown as tn.nn.Initializer }), {
    instanceOf: TypeError,
    message: /unknown initializer/,
  });
  t.throws(() => new nn.Linear(3, 2, { kernelInitializer: 5 as unknown as tn.nn.Initializer }), {
    instanceOf: TypeError,
  });
});

test('invalid initializer parameters are Errors, not aborts', (t) => {
  t.throws(() => new nn.Linear(3, 2, { kernelInitializer: { uniform: { low: 1, high: -1 } } }), { instanceOf: Error });
  t.throws(() => new nn.Linear(3, 2, { kernelInitializer: { normal: { std: -1 } } }), { instanceOf: Error });
  t.is(new nn.Linear(3, 2).parameterCount(), 8);
});
