// Q6: three ways to get a sparse model (L1 penalty, magnitude pruning with fine-tuning, L1 then a
// threshold with fine-tuning), and whether dropout makes weights sparse.
import * as tn from '../index';
import { denseNet } from './dense-net';
import { head, kernels, manualTrain, pct, sparsity, type Sparsity } from './measure';
import type { Answer, Context, Question } from './types';

export interface Q6Config {
  trainSize: number;
  hidden: number[];
  epochs: number;
  fineTuneEpochs: number;
  batchSize: number;
  lr: number;
  /** lambda of the L1 penalty lambda * sum |w| over all kernels. */
  l1: number;
  /** Share of each kernel's weights that magnitude pruning zeroes. */
  pruneShare: number;
  /** |w| below this is zeroed after L1 training (method 3). */
  threshold: number;
  dropout: number;
}

function build(ctx: Context, cfg: Q6Config, dropout = 0): tn.nn.Sequential {
  return denseNet(ctx.data.features, cfg.hidden, ctx.data.classes, { dropout });
}

/** A copy of `model` (same architecture, weights copied). */
function copyOf(ctx: Context, cfg: Q6Config, model: tn.nn.Sequential): tn.nn.Sequential {
  const copy = build(ctx, cfg);
  copy.loadStateDict(model.stateDict());
  return copy;
}

/** Masks that zero the `share` smallest |w| of each kernel (exactly round(share * size) of them). */
export function magnitudeMasks(model: tn.nn.Module, share: number): Map<string, tn.Tensor> {
  const masks = new Map<string, tn.Tensor>();
  for (const [name, w] of kernels(model)) {
    const values = w.toArray() as Float32Array;
    const order = Array.from(values.keys()).sort(
      (a, b) => Math.abs(values[a] as number) - Math.abs(values[b] as number),
    );
    const mask = new Float32Array(values.length).fill(1);
    const k = Math.round(share * values.length);
    for (let i = 0; i < k; i++) mask[order[i] as number] = 0;
    masks.set(name, tn.tensor(mask, { shape: w.shape }));
  }
  return masks;
}

/** Masks that zero every |w| < threshold. */
function thresholdMasks(model: tn.nn.Module, threshold: number): Map<string, tn.Tensor> {
  return new Map(
    tn.noGrad(() =>
      kernels(model).map(([name, w]) => [name, w.abs().ge(threshold).to('float32')] as [string, tn.Tensor]),
    ),
  );
}

/** Multiplies the model's kernels by their masks (after every optimizer step, so pruned weights stay 0). */
export function applyMasks(model: tn.nn.Module, masks: Map<string, tn.Tensor>): void {
  tn.noGrad(() => {
    const state = model.stateDict();
    for (const [name, mask] of masks) state[name] = (state[name] as tn.Tensor).mul(mask);
    model.loadStateDict(state);
  });
}

function l1Penalty(lambda: number) {
  return (model: tn.nn.Module) => {
    let total: tn.Tensor | undefined;
    for (const [, w] of kernels(model)) {
      const term = w.abs().sum();
      total = total ? total.add(term) : term;
    }
    return (total as tn.Tensor).mul(lambda);
  };
}

interface MethodResult {
  method: string;
  sparsity: Sparsity;
  testAccuracy: number;
  epochLosses: number[];
}

export const q6: Question<Q6Config> = {
  id: 6,
  slug: 'sparse-models',
  title: 'Sparse models: L1, magnitude pruning, L1 + threshold; and does dropout sparsify?',
  question: 'Name three ways you can produce a sparse model.',
  configs: {
    full: {
      trainSize: 10000,
      hidden: [100, 100],
      epochs: 3,
      fineTuneEpochs: 2,
      batchSize: 64,
      lr: 1e-3,
      l1: 1e-3,
      pruneShare: 0.8,
      threshold: 1e-2,
      dropout: 0.5,
    },
    quick: {
      trainSize: 3000,
      hidden: [100, 100],
      epochs: 3,
      fineTuneEpochs: 2,
      batchSize: 64,
      lr: 1e-3,
      l1: 1e-3,
      pruneShare: 0.8,
      threshold: 1e-2,
      dropout: 0.5,
    },
    tiny: {
      trainSize: 512,
      hidden: [32],
      epochs: 2,
      fineTuneEpochs: 1,
      batchSize: 64,
      lr: 1e-3,
      l1: 1e-3,
      pruneShare: 0.5,
      threshold: 1e-3,
      dropout: 0.5,
    },
  },
  async run(ctx, cfg): Promise<Answer> {
    const train = head(ctx.data.train, cfg.trainSize);
    const evaluate = async (model: tn.nn.Module) => (await tn.evaluate(model, ctx.data.test)).accuracy;
    const adam = (model: tn.nn.Module) => new tn.optim.Adam(model.parameters(), { lr: cfg.lr });
    const loop = { epochs: cfg.epochs, batchSize: cfg.batchSize };
    const results: MethodResult[] = [];

    tn.manualSeed(ctx.seed);
    const dense = build(ctx, cfg);
    const denseRun = manualTrain(dense, adam(dense), train, loop);
    results.push({
      method: 'dense (no regularization)',
      sparsity: sparsity(dense),
      testAccuracy: await evaluate(dense),
      epochLosses: denseRun.epochLosses,
    });

    tn.manualSeed(ctx.seed);
    const l1 = build(ctx, cfg);
    const l1Run = manualTrain(l1, adam(l1), train, { ...loop, penalty: l1Penalty(cfg.l1) });
    results.push({
      method: `1. L1 penalty (lambda ${cfg.l1})`,
      sparsity: sparsity(l1),
      testAccuracy: await evaluate(l1),
      epochLosses: l1Run.epochLosses,
    });

    const pruned = copyOf(ctx, cfg, dense);
    const pruneMasks = magnitudeMasks(pruned, cfg.pruneShare);
    applyMasks(pruned, pruneMasks);
    const prunedBefore = { sparsity: sparsity(pruned), testAccuracy: await evaluate(pruned) };
    const pruneRun = manualTrain(pruned, adam(pruned), train, {
      ...loop,
      epochs: cfg.fineTuneEpochs,
      afterStep: () => applyMasks(pruned, pruneMasks),
    });
    results.push({
      method: `2. magnitude pruning (${pct(cfg.pruneShare, 0)} per kernel) + ${cfg.fineTuneEpochs} fine-tuning epochs`,
      sparsity: sparsity(pruned),
      testAccuracy: await evaluate(pruned),
      epochLosses: pruneRun.epochLosses,
    });

    const thresholded = copyOf(ctx, cfg, l1);
    const thresholdMask = thresholdMasks(thresholded, cfg.threshold);
    applyMasks(thresholded, thresholdMask);
    const thresholdRun = manualTrain(thresholded, adam(thresholded), train, {
      ...loop,
      epochs: cfg.fineTuneEpochs,
      afterStep: () => applyMasks(thresholded, thresholdMask),
    });
    results.push({
      method: `3. L1, then |w| < ${cfg.threshold} set to 0 + ${cfg.fineTuneEpochs} fine-tuning epochs`,
      sparsity: sparsity(thresholded),
      testAccuracy: await evaluate(thresholded),
      epochLosses: thresholdRun.epochLosses,
    });

    tn.manualSeed(ctx.seed);
    const withDropout = build(ctx, cfg, cfg.dropout);
    manualTrain(withDropout, adam(withDropout), train, loop);
    withDropout.eval();
    const dropout = { sparsity: sparsity(withDropout), testAccuracy: await evaluate(withDropout) };

    const [base, l1r, prunedR, thresholdR] = results as [MethodResult, MethodResult, MethodResult, MethodResult];
    const best = [l1r, prunedR, thresholdR].reduce((a, b) =>
      b.sparsity.exactZero * (b.testAccuracy >= base.testAccuracy - 0.02 ? 1 : 0) >
      a.sparsity.exactZero * (a.testAccuracy >= base.testAccuracy - 0.02 ? 1 : 0)
        ? b
        : a,
    );
    const conclusions = [
      `L1 alone: ${pct(l1r.sparsity.exactZero, 2)} of the weights are exactly 0 but ${pct(l1r.sparsity.belowAbs)} are below 1e-3 ` +
        `(dense: ${pct(base.sparsity.belowAbs)}): ` +
        (l1r.sparsity.exactZero < 0.01
          ? 'a (sub)gradient optimizer pushes weights toward 0 but leaves them jittering around it, so L1 needs a threshold (or a proximal step) to give real zeros.'
          : 'the penalty alone produced real zeros.'),
      `Magnitude pruning zeroed ${pct(prunedR.sparsity.exactZero, 2)} of the weights (requested ${pct(cfg.pruneShare, 2)}); accuracy ${pct(prunedBefore.testAccuracy)} right after pruning, ` +
        `${pct(prunedR.testAccuracy)} after fine-tuning with the mask re-applied (dense ${pct(base.testAccuracy)}).`,
      `L1 + threshold: ${pct(thresholdR.sparsity.exactZero, 2)} exact zeros at ${pct(thresholdR.testAccuracy)} accuracy.`,
      `Most exact zeros within 2 points of the dense accuracy: ${best.method} (${pct(best.sparsity.exactZero, 2)}).`,
      dropout.sparsity.belowAbs > 1.5 * base.sparsity.belowAbs
        ? `Dropout(${cfg.dropout}) does make weights smaller here: ${pct(dropout.sparsity.belowAbs, 2)} below 1e-3 vs ${pct(base.sparsity.belowAbs, 2)} without it, but ${pct(dropout.sparsity.exactZero, 2)} exactly 0.`
        : `Dropout(${cfg.dropout}) does not make the model sparse: ${pct(dropout.sparsity.belowAbs, 2)} of the weights below 1e-3 (${pct(dropout.sparsity.belowRel, 2)} below 1 % of the layer's largest) ` +
          `vs ${pct(base.sparsity.belowAbs, 2)} (${pct(base.sparsity.belowRel, 2)}) without it, and ${pct(dropout.sparsity.exactZero, 2)} exactly 0: it regularizes by noise, not by zeroing weights.`,
    ];
    const row = (method: string, s: Sparsity, acc: number) => [
      method,
      pct(s.exactZero, 2),
      pct(s.belowAbs, 2),
      pct(s.belowRel, 2),
      pct(acc),
    ];
    return {
      numbers: { methods: results, prunedBeforeFineTuning: prunedBefore, dropout, dropoutRate: cfg.dropout },
      tables: [
        {
          title: 'Share of kernel weights (biases excluded) and test accuracy',
          columns: ['model', 'exactly 0', '|w| < 1e-3', '|w| < 1 % of layer max', 'test accuracy'],
          rows: [
            ...results.map((r) => row(r.method, r.sparsity, r.testAccuracy)),
            row('magnitude pruning before fine-tuning', prunedBefore.sparsity, prunedBefore.testAccuracy),
            row(`dense + Dropout(${cfg.dropout})`, dropout.sparsity, dropout.testAccuracy),
          ],
        },
      ],
      conclusions,
    };
  },
};
