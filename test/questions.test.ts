// `torchnode questions`: each experiment in its tiny configuration on a small synthetic set, checked for
// structure and for the sanity of its numbers; the measurement helpers against hand-made inputs; the
// runner, the report writers and the command through a commander harness. Serial: the experiments seed
// the global generator and time themselves, so they must not interleave.
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import * as tn from '../lib/index';
import { registerQuestionsCommand } from '../lib/cli/questions';
import {
  q1,
  q2,
  q3,
  q4,
  q5,
  q6,
  q7,
  parseOnly,
  runQuestions,
  reportMarkdown,
  reportJson,
  synthetic,
} from '../lib/questions';
import { numericalRank, rowSymmetry, sparsity, summarizeCurve } from '../lib/questions/measure';
import { applyMasks, magnitudeMasks } from '../lib/questions/q6-sparsity';
import type { Context, Question } from '../lib/questions';

const data = synthetic({ train: 512, test: 256, features: 64, separation: 4, seed: 1 });
const ctx: Context = { data, seed: 7, log: () => {} };
const run = <C extends object>(q: Question<C>) => q.run(ctx, q.configs.tiny);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

test.serial('synthetic data: shapes, labels, standardized features', (t) => {
  t.deepEqual(data.train.x.shape, [512, 64]);
  t.deepEqual(data.test.x.shape, [256, 64]);
  t.is(data.train.y.dtype, 'int64');
  t.true(data.train.y.min().item() >= 0 && data.train.y.max().item() <= 9);
  const mean = data.train.x.mean({ dim: 0 }).abs().max().item();
  const std = data.train.x.std({ dim: 0 });
  t.true(mean < 1e-5, `feature means ${mean}`);
  t.true(Math.abs(std.mean().item() - 1) < 0.01);
  t.regex(data.description, /Gaussian mixture, 64 features/);
});

test.serial('rowSymmetry and numericalRank on known matrices', (t) => {
  const same = tn.tensor([1, 2, 3, 1, 2, 3, 1, 2, 3], { shape: [3, 3] });
  t.like(rowSymmetry(same), { units: 3, maxPairwiseDistance: 0, distinctRows: 1, distinctRowsAbsolute: 1, rank: 1 });
  const rank2 = tn.tensor([1, 0, 0, 0, 1, 0, 1, 1, 0], { shape: [3, 3] });
  const s = rowSymmetry(rank2);
  t.is(s.rank, 2);
  t.is(s.distinctRows, 3);
  t.true(Math.abs(s.maxPairwiseDistance - Math.SQRT2) < 1e-12);
  t.is(numericalRank(Float64Array.from([1, 2, 2, 4]), 2, 2), 1);
  t.is(numericalRank(Float64Array.from([1, 0, 0, 1e-9]), 2, 2), 1);
  t.is(numericalRank(Float64Array.from([0, 0, 0, 0]), 2, 2), 0);
  // 1e-7 apart: one unit at 1e-6, two at 1e-8.
  const close = tn.tensor([1, 1, 1 + 1e-7, 1], { shape: [2, 2], dtype: 'float64' });
  t.is(rowSymmetry(close).distinctRowsAbsolute, 1);
  t.is(rowSymmetry(close, 1e-8).distinctRowsAbsolute, 2);
});

test.serial('summarizeCurve: minimum, climb after it, divergence, non-finite losses', (t) => {
  const s = summarizeCurve([3, 2, 1, 2, 2.5], 1);
  t.like(s, {
    steps: 5,
    first: 3,
    final: 2.5,
    max: 3,
    min: 1,
    minStep: 2,
    climbAfterMin: 1.5,
    diverged: false,
    directionChanges: 1,
  });
  t.true(summarizeCurve([1, 2, 3], 1).diverged);
  const nan = summarizeCurve([1, NaN, 2], 1);
  t.true(nan.diverged);
  t.is(nan.max, Infinity);
});

test.serial('Q1: constant-init units stay identical within 1e-6 (rank 1); He units stay distinct', async (t) => {
  const a = (await run(q1)).numbers as Any;
  const hidden = q1.configs.tiny.hidden;
  t.is(a.constant.layers.length, hidden.length + 1);
  for (const layer of a.constant.layers.slice(0, -1)) {
    t.true(layer.maxPairwiseDistance <= 1e-6, `${layer.name}: ${layer.maxPairwiseDistance}`);
    t.is(layer.distinctRowsAbsolute, 1);
    t.is(layer.rank, 1);
  }
  // The output layer's rows differ (one per class) but its columns are all alike: rank 1 too.
  t.is(a.constant.layers.at(-1).rank, 1);
  a.he.layers.forEach((layer: Any, i: number) => {
    t.is(layer.rank, [...hidden, 10][i]);
    t.is(layer.distinctRowsAbsolute, layer.units);
  });
  // Each constant is one draw of its layer's He normal (truncated at 2 sigma).
  [64, ...hidden].forEach((fanIn, i) => t.true(Math.abs(a.constant.constants[i]) <= 2.5 * Math.sqrt(2 / fanIn)));
  t.true(a.he.testAccuracy > a.constant.testAccuracy, `he ${a.he.testAccuracy} vs constant ${a.constant.testAccuracy}`);
});

test.serial('Q2: per-epoch curves for both bias inits, gaps computed from them', async (t) => {
  const answer = await run(q2);
  const n = answer.numbers as Any;
  t.is(n.runs.length, 2);
  for (const r of n.runs) {
    t.is(r.epochs.length, q2.configs.tiny.epochs);
    for (const e of r.epochs) t.true(Number.isFinite(e.loss) && e.valAccuracy >= 0 && e.valAccuracy <= 1);
  }
  t.is(n.finalValAccuracyGap, n.runs[0].epochs.at(-1).valAccuracy - n.runs[1].epochs.at(-1).valAccuracy);
  t.is(answer.tables[0]!.rows.length, q2.configs.tiny.epochs);
  t.true(answer.conclusions[0]!.includes(`${(n.runs[0].epochs.at(-1).valAccuracy * 100).toFixed(1)} %`));
});

test.serial('Q3: SELU keeps std near 1 and mean near 0 through 20 layers; ReLU has no negative outputs', async (t) => {
  const answer = await run(q3);
  const { selu, relu, summary } = answer.numbers as Any;
  t.is(selu.length, 20);
  t.is(relu.length, 20);
  t.true(Math.abs(summary.selu.lastStd - 1) < 0.2, `SELU std ${summary.selu.lastStd}`);
  t.true(Math.abs(summary.selu.lastMean) < 0.2, `SELU mean ${summary.selu.lastMean}`);
  for (const l of relu) t.is(l.negativeShare, 0);
  for (const l of selu) {
    t.is(l.zeroGradShare, 0);
    t.true(l.negativeShare > 0.2 && l.negativeShare < 0.8);
  }
  for (const l of [...selu, ...relu]) t.true(Number.isFinite(l.gradNorm) && l.gradNorm > 0);
  t.true(summary.relu.zeroGradShareMean >= summary.selu.zeroGradShareMean);
  t.is(answer.conclusions.length, 4);
});

test.serial(
  'Q4: softmax rows sum to 1, logistic head in (0, 1), tanh centred, leaky units keep their gradient',
  async (t) => {
    const answer = await run(q4);
    const n = answer.numbers as Any;
    t.true(n.softmax.maxRowSumError < 1e-5);
    t.true(n.softmax.min > 0 && n.softmax.max < 1);
    t.true(n.binary.min > 0 && n.binary.max < 1);
    t.true(n.binary.accuracy > 0.5);
    t.true(Math.abs(n.tanh.firstMean) < 0.1);
    t.true(Math.abs(n.logistic.firstMean - 0.5) < 0.1);
    t.is(n.reluVsLeaky[1].after.zeroGradient, 0);
    t.deepEqual(
      answer.tables[0]!.rows.map((r) => r[0]),
      ['SELU', 'leaky ReLU', 'ReLU', 'tanh', 'logistic', 'softmax'],
    );
  },
);

test.serial('Q5: same steps for every momentum, summaries consistent with the curves', async (t) => {
  const n = (await run(q5)).numbers as Any;
  t.deepEqual(
    n.runs.map((r: Any) => r.momentum),
    [0.9, 0.99, 0.99999],
  );
  const examples = Math.min(q5.configs.tiny.trainSize, 512);
  const steps = Math.ceil(examples / q5.configs.tiny.batchSize) * q5.configs.tiny.epochs;
  for (const r of n.runs) {
    t.is(r.losses.length, steps);
    t.is(r.summary.final, r.losses.at(-1));
    t.true(r.summary.max >= r.summary.final);
    t.true(r.summary.climbAfterMin >= 0);
  }
  // Same seed, same initial weights and batches: the first batch loss is the same for all.
  t.is(n.runs[0].losses[0], n.runs[2].losses[0]);
});

test.serial('magnitudeMasks zero exactly the requested share, and the smallest weights', (t) => {
  tn.manualSeed(3);
  const model = new tn.nn.Sequential([new tn.nn.Linear(10, 6), new tn.nn.ReLU(), new tn.nn.Linear(6, 3)]);
  const before = Float32Array.from(model.parameters()[0]!.toArray() as Float32Array);
  const masks = magnitudeMasks(model, 0.25);
  applyMasks(model, masks);
  const after = model.parameters()[0]!.toArray() as Float32Array;
  const zeroed = [...after.keys()].filter((i) => after[i] === 0);
  t.is(zeroed.length, 15);
  const largestZeroed = Math.max(...zeroed.map((i) => Math.abs(before[i] as number)));
  const smallestKept = Math.min(
    ...[...after.keys()].filter((i) => after[i] !== 0).map((i) => Math.abs(before[i] as number)),
  );
  t.true(largestZeroed <= smallestKept);
  t.is(sparsity(model).exactZero, (15 + Math.round(0.25 * 18)) / 78);
});

test.serial(
  'Q6: pruning gives exactly the requested share; L1 + threshold zeros; dropout leaves no exact zeros',
  async (t) => {
    const n = (await run(q6)).numbers as Any;
    const [dense, l1, pruned, thresholded] = n.methods;
    t.is(dense.sparsity.exactZero, 0);
    t.is(pruned.sparsity.exactZero, q6.configs.tiny.pruneShare);
    t.is(n.prunedBeforeFineTuning.sparsity.exactZero, q6.configs.tiny.pruneShare);
    t.true(thresholded.sparsity.exactZero >= l1.sparsity.exactZero);
    t.true(thresholded.sparsity.exactZero >= l1.sparsity.belowAbs - 1e-12);
    t.is(n.dropout.sparsity.exactZero, 0);
    for (const m of n.methods) t.true(m.testAccuracy >= 0 && m.testAccuracy <= 1);
  },
);

test.serial('Q7: timings positive, MC(100) slower than MC(10) slower than one pass', async (t) => {
  const n = (await run(q7)).numbers as Any;
  t.is(n.runs.length, 2);
  for (const r of n.runs) {
    t.true(r.secondsPerEpoch > 0 && r.predictSeconds > 0);
    t.true(r.bestEpoch >= 1 && r.bestEpoch <= r.epochsRun);
  }
  const [mc10, mc100] = n.mc;
  t.is(mc10.samples, 10);
  t.is(mc100.samples, 100);
  t.true(mc100.seconds > mc10.seconds, `MC(100) ${mc100.seconds} s vs MC(10) ${mc10.seconds} s`);
  t.true(mc10.relativeToOnePass > 1);
});

test.serial('parseOnly: numbers, spaces, unknown questions', (t) => {
  t.deepEqual(parseOnly('3,5'), [3, 5]);
  t.deepEqual(parseOnly(' 1, 7 '), [1, 7]);
  t.throws(() => parseOnly('9'), { message: /no question '9' \(the questions are 1, 2, 3, 4, 5, 6, 7\)/ });
  t.throws(() => parseOnly('x'), { message: /no question 'x'/ });
  t.throws(() => parseOnly(''), { message: /give question numbers/ });
});

test.serial('runQuestions + writers: selected questions, dataset, seed, versions', async (t) => {
  const report = await runQuestions({ data, only: [3], size: 'tiny', seed: 5 });
  t.deepEqual(
    report.questions.map((q) => q.id),
    [3],
  );
  t.like(report, { seed: 5, size: 'tiny', torchnode: tn.version.torchnode, libtorch: tn.version.libtorch });
  t.like(report.dataset, { name: 'synthetic', features: 64, train: 512, test: 256 });
  const md = reportMarkdown(report);
  t.regex(md, /## 3\. SELU vs ReLU/);
  t.regex(md, /\| activation \| layer \| mean \|/);
  t.regex(md, /Data: \*\*synthetic\*\*/);
  const json = JSON.parse(reportJson(report));
  t.is(json.questions[0].numbers.selu.length, 20);
});

test.serial('the command: --only, --tiny, --synthetic, --out, --json through a commander program', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'questions-'));
  const program = new Command('torchnode').exitOverride();
  registerQuestionsCommand(program);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    await program.parseAsync(
      ['questions', '--tiny', '--synthetic', '--only', '3,5', '--out', out, '--json', '--seed', '3'],
      {
        from: 'user',
      },
    );
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  const printed = JSON.parse(stdout);
  const written = JSON.parse(fs.readFileSync(path.join(out, 'questions.json'), 'utf8'));
  t.deepEqual(
    written.questions.map((q: Any) => q.id),
    [3, 5],
  );
  t.is(printed.seed, 3);
  t.is(written.dataset.name, 'synthetic');
  t.regex(fs.readFileSync(path.join(out, 'questions.md'), 'utf8'), /## 5\. SGD momentum/);
  const help = program.commands.find((c) => c.name() === 'questions')!.helpInformation();
  for (const flag of [
    '--only <list>',
    '--quick',
    '--out <dir>',
    '--data-dir <dir>',
    '--synthetic',
    '--seed <n>',
    '--json',
  ]) {
    t.true(help.includes(flag), `help lists ${flag}`);
  }
  t.false(help.includes('--tiny'));
  const bad = new Command('torchnode').exitOverride();
  registerQuestionsCommand(bad);
  await t.throwsAsync(bad.parseAsync(['questions', '--only', '8'], { from: 'user' }), { message: /no question '8'/ });
  await t.throwsAsync(bad.parseAsync(['questions', '--seed', '-1'], { from: 'user' }), { message: /--seed/ });
});
