// The exercise's pure parts: variant table and models, LR range-test reading, sweep candidates, the comparison
// table, MC Dropout analysis, options resolution, and the answers' verdicts.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tn from '../lib';
import { VARIANTS, buildModel, variantConfig } from '../lib/exercise/variants';
import {
  collapsed,
  rangeCurve,
  retryLr,
  smooth,
  suggestLr,
  sweepCandidates,
  sweepWinner,
  thin,
} from '../lib/exercise/lr-search';
import { comparisonRows, mcAnalysis } from '../lib/exercise/analysis';
import { readConfigFile, resolveOptions, DEFAULTS } from '../lib/exercise/options';
import { selfNormalized } from '../lib/exercise/answers';
import type { EpochLog } from '../lib/train/types';

test('the variant table holds the four variants of DESIGN.md with their layers', (t) => {
  t.deepEqual(
    VARIANTS.map((v) => v.name),
    ['elu', 'bn', 'selu', 'alpha-dropout'],
  );
  const types = (name: string): string[] => buildModel(variantConfig(name)).layers.map((l) => l.config.type);
  const elu = types('elu');
  t.is(elu.filter((x) => x === 'Linear').length, 21);
  t.is(elu.filter((x) => x === 'ELU').length, 20);
  const bn = types('bn');
  t.is(bn[0], 'BatchNorm1d');
  t.deepEqual(bn.slice(1, 4), ['Linear', 'BatchNorm1d', 'ELU']);
  t.is(bn.filter((x) => x === 'BatchNorm1d').length, 21);
  t.is(types('selu').filter((x) => x === 'SELU').length, 20);
  const ad = types('alpha-dropout');
  t.deepEqual(ad.slice(-2), ['AlphaDropout', 'Linear']);
  // 3072*100+100 + 19*(100*100+100) + 100*10+10 = 500,210 (the exercise's count)
  t.is(buildModel(variantConfig('elu')).parameterCount(), 500_210);
  const bnConfig = buildModel(variantConfig('bn')).layers[0]!.config;
  t.is(bnConfig.momentum, 0.01);
  t.is(bnConfig.eps, 1e-3);
  t.is(variantConfig('selu').kernelInitializer, 'lecun_normal');
  t.is(variantConfig('selu').input, 'standardized');
  t.throws(() => variantConfig('relu'), {
    message: /unknown variant 'relu'; the variants are elu, bn, selu, alpha-dropout/,
  });
});

test('smooth is a bias-corrected EMA', (t) => {
  const s = smooth([1, 1, 1], 0.9);
  for (const v of s) t.true(Math.abs(v - 1) < 1e-12);
  const [a, b] = smooth([2, 4], 0.5);
  t.is(a, 2);
  // (0.5*(0.5*2) + 0.5*4) / (1 - 0.25) = (0.5 + 2) / 0.75
  t.true(Math.abs((b as number) - 2.5 / 0.75) < 1e-12);
});

test('suggestLr finds the minimum and the steepest descent of a synthetic range-test curve', (t) => {
  // loss = 2 + tanh-shaped drop centred at lr 1e-3, then a blow-up past 3e-2.
  const lrs: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < 500; i++) {
    const lr = 1e-6 * 10 ** ((6 * i) / 499);
    const u = Math.log10(lr);
    lrs.push(lr);
    losses.push(2 - Math.tanh((u + 3) * 2) + (u > -1.5 ? (u + 1.5) * 20 : 0));
  }
  losses.push(NaN, 5);
  lrs.push(2, 3);
  const curve = rangeCurve(lrs, losses);
  t.is(curve.lrs.length, 500, 'the curve stops at the first non-finite loss');
  const s = suggestLr(curve, true);
  t.true(s.minLossLr > 5e-3 && s.minLossLr < 5e-2, `min at ${s.minLossLr}`);
  t.true(s.steepestLr > 3e-4 && s.steepestLr < 3e-3, `steepest at ${s.steepestLr}`);
  t.is(s.suggestedLr, s.minLossLr / 10);
  t.true(s.diverged);
  t.throws(() => suggestLr(rangeCurve([1, 2], [1, NaN])), { message: /only 1 finite losses/ });
});

test('sweepWinner: the lowest val_loss, or the largest rate within the tolerance of it; none when all diverged', (t) => {
  const scores = [
    { lr: 1e-4, bestValLoss: 1.551 },
    { lr: 3e-4, bestValLoss: 1.554 },
    { lr: 1e-3, bestValLoss: 1.625 },
    { lr: 3e-3, bestValLoss: Infinity },
  ];
  t.is(sweepWinner(scores, 0.01)?.lr, 3e-4);
  t.is(sweepWinner(scores, 0)?.lr, 1e-4);
  t.is(sweepWinner(scores, 0.05)?.lr, 1e-3);
  t.is(sweepWinner(scores, 1)?.lr, 1e-3, 'a diverged candidate never wins');
  t.is(sweepWinner([{ lr: 1, bestValLoss: Infinity }]), undefined);
});

test('retryLr: after a rate fell to chance, the sweep winner among the smaller rates; none when none is left', (t) => {
  // The elu sweep of the real run at 38273b4 (best 3-epoch val_loss per rate); 1.8e-3 won and collapsed.
  const scores = [
    { lr: 2.2e-5, bestValLoss: 2.0212 },
    { lr: 6.6e-5, bestValLoss: 1.8824 },
    { lr: 2e-4, bestValLoss: 1.9229 },
    { lr: 6e-4, bestValLoss: 1.9491 },
    { lr: 1.8e-3, bestValLoss: 1.837 },
  ];
  t.is(sweepWinner(scores)?.lr, 1.8e-3);
  t.is(retryLr(scores, [1.8e-3])?.lr, 6.6e-5);
  t.is(retryLr(scores, [1.8e-3], 0.03)?.lr, 2e-4, 'the tolerance applies among the rest, as in the sweep');
  t.is(retryLr(scores, [6.6e-5, 1.8e-3])?.lr, 2.2e-5, 'below the smallest failed rate');
  t.is(retryLr(scores, [2.2e-5]), undefined);
  t.is(retryLr([{ lr: 1e-4, bestValLoss: Infinity }], [1e-3]), undefined, 'a diverged candidate is no fallback');
});

test('collapsed: chance-level val_loss and accuracy, from the real runs', (t) => {
  t.true(collapsed({ valLoss: 2.3031, valAccuracy: 0.101 }, 10), 'elu at 2.5e-2, epoch 1');
  t.true(collapsed({ valLoss: 2.3196, valAccuracy: 0.0972 }, 10), 'elu at 2.8e-3, epoch 7');
  t.false(collapsed({ valLoss: 2.1659, valAccuracy: 0.192 }, 10), 'elu at 2.8e-3, epoch 1');
  t.false(collapsed({ valLoss: 2.279, valAccuracy: 0.1988 }, 10), 'selu at 8.7e-7: slow, not dead');
  t.false(collapsed({ valLoss: 2.31, valAccuracy: 0.3 }, 10), 'overconfident but still informative');
  t.false(collapsed({ valLoss: 2.4 }, 10), 'no validation accuracy: no verdict');
});

test('sweepCandidates: the suggestion and rates a factor apart on both sides, 2 significant digits', (t) => {
  t.deepEqual(sweepCandidates(1e-3), [0.00011, 0.00033, 0.001, 0.003, 0.009]);
  t.deepEqual(sweepCandidates(2e-4, 1), [0.0002]);
  t.deepEqual(sweepCandidates(1e-3, 3, 10), [0.0001, 0.001, 0.01]);
  t.deepEqual(sweepCandidates(1e-3, 4), [0.00011, 0.00033, 0.001, 0.003]);
  t.deepEqual(thin([1, 2, 3], 10), [1, 2, 3]);
  const th = thin(
    Array.from({ length: 1000 }, (_, i) => i),
    11,
  );
  t.deepEqual(th, [0, 100, 200, 300, 400, 500, 599, 699, 799, 899, 999]);
  t.is(th.at(-1), 999);
});

const log = (epoch: number, valLoss: number, valAccuracy: number, seconds = 2): EpochLog => ({
  epoch,
  loss: valLoss + 0.1,
  accuracy: valAccuracy - 0.05,
  valLoss,
  valAccuracy,
  lr: 1e-3,
  seconds,
});

test('comparisonRows reads the histories: best epoch, epochs/wall time to the elu best, s/epoch', (t) => {
  const rows = comparisonRows([
    {
      variant: 'elu',
      chosenLr: 1e-4,
      lrSource: 'search',
      bestEpoch: 2,
      testAccuracy: 0.4,
      epochs: [log(1, 1.8, 0.3), log(2, 1.5, 0.45), log(3, 1.6, 0.44)],
    },
    {
      variant: 'bn',
      chosenLr: 5e-4,
      lrSource: 'flag',
      bestEpoch: 3,
      testAccuracy: 0.5,
      epochs: [log(1, 1.7, 0.35, 3), log(2, 1.45, 0.5, 3), log(3, 1.3, 0.55, 3)],
    },
  ]);
  t.like(rows[0], {
    bestEpoch: 2,
    bestValLoss: 1.5,
    bestValAccuracy: 0.45,
    epochsToEluBest: 2,
    epochsRun: 3,
    wallSecondsToBest: 4,
    secondsPerEpoch: 2,
  });
  t.like(rows[1], {
    bestEpoch: 3,
    bestValAccuracy: 0.55,
    epochsToEluBest: 2,
    wallSecondsToEluBest: 6,
    wallSecondsToBest: 9,
    secondsPerEpoch: 3,
    lrSource: 'flag',
  });
  const noElu = comparisonRows([
    { variant: 'selu', chosenLr: 1, lrSource: 'search', bestEpoch: 1, testAccuracy: 0, epochs: [log(1, 1, 1)] },
  ]);
  t.is(noElu[0]!.epochsToEluBest, null);
  t.throws(
    () =>
      comparisonRows([{ variant: 'x', chosenLr: 1, lrSource: 'search', bestEpoch: 4, testAccuracy: 0, epochs: [] }]),
    {
      message: /x: the history has no epoch 4/,
    },
  );
});

test('mcAnalysis: accuracies, mean predictive std and confidence deciles against a hand count', (t) => {
  // 20 images, 2 classes; image i predicts class 0 with probability p_i = 0.5 + i/40; label 0 for even i.
  const n = 20;
  const mean = new Float32Array(n * 2);
  const std = new Float32Array(n * 2);
  const plain = new Float32Array(n * 2);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const p = 0.5 + (i + 0.5) / 40;
    mean.set([p, 1 - p], i * 2);
    std.set([i / 100, 0.5], i * 2);
    plain.set(i < 10 ? [0.4, 0.6] : [0.6, 0.4], i * 2);
    labels[i] = BigInt(i % 2);
  }
  const T = (a: Float32Array) => tn.tensor(a, { shape: [n, 2] });
  const r = mcAnalysis(T(mean), T(std), T(plain), tn.tensor(labels, { shape: [n], dtype: 'int64' }), 7);
  t.is(r.accuracy, 0.5); // always class 0: the even images
  t.is(r.plainAccuracy, 0.5); // class 1 for i < 10 (5 odd right) + class 0 for i >= 10 (5 even right)
  t.true(Math.abs(r.meanPredictiveStd - 0.095) < 1e-6); // mean of i/100
  t.true(Math.abs(r.meanStdAllClasses - (0.095 + 0.5) / 2) < 1e-6);
  // most confident 2: i = 19, 18 -> one right; least confident: i = 0, 1 -> one right
  t.is(r.mostConfidentDecileAccuracy, 0.5);
  t.is(r.leastConfidentDecileAccuracy, 0.5);
  t.is(r.samples, 7);
  t.is(r.images, 20);
});

test('options: defaults, --quick, config file keys mirror the flags, flags win, bad values named', (t) => {
  const d = resolveOptions({}, {});
  t.like(d, { epochs: 100, patience: 20, batchSize: 32, validation: 5000, mcSamples: 10, seed: 42 });
  t.deepEqual(d.variants, ['elu', 'bn', 'selu', 'alpha-dropout']);
  const q = resolveOptions({}, { quick: true });
  t.like(q, { trainLimit: 5000, epochs: 6, quick: true });
  const f = resolveOptions({ epochs: 9, variants: ['selu', 'elu'], lr: 1e-3 }, { epochs: 7 });
  t.is(f.epochs, 7);
  t.deepEqual(f.variants, ['elu', 'selu'], 'run order is the table order');
  t.is(f.lr, 1e-3);
  t.throws(() => resolveOptions({}, { epochs: 0 }), { message: 'epochs must be a positive integer, got 0' });
  t.throws(() => resolveOptions({ variants: ['relu' as never] }, {}), { message: /unknown variant 'relu'/ });
  t.throws(() => resolveOptions({}, { lr: -1 }), { message: 'lr must be a positive number, got -1' });
  t.throws(() => resolveOptions({ sweepTolerance: -0.1 }, {}), {
    message: 'sweepTolerance must be a number >= 0, got -0.1',
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-options-'));
  const good = path.join(dir, 'good.json');
  fs.writeFileSync(good, JSON.stringify({ batchSize: 64, mcSamples: 3 }));
  t.like(readConfigFile(good), { batchSize: 64, mcSamples: 3 });
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, JSON.stringify({ batch_size: 64 }));
  t.throws(() => readConfigFile(bad), { message: /unknown key 'batch_size'/ });
  fs.writeFileSync(bad, '{');
  t.throws(() => readConfigFile(bad), { message: /config file .*bad\.json: / });
  t.is(DEFAULTS.out, 'torchnode-exercise');
});

test('selfNormalized: the verdict of the SELU question', (t) => {
  t.true(
    selfNormalized([
      { layer: 1, mean: 0.01, std: 0.98 },
      { layer: 2, mean: -0.1, std: 1.1 },
    ]),
  );
  t.false(
    selfNormalized([
      { layer: 1, mean: 0.01, std: 0.98 },
      { layer: 2, mean: 0.5, std: 1.1 },
    ]),
  );
  t.false(selfNormalized([{ layer: 1, mean: 0, std: 3 }]));
  t.false(selfNormalized([]));
});
