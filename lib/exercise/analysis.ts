// Measurements read off trained models: per-layer activation statistics, MC Dropout accuracy and
// uncertainty, and the comparison table (every number of it comes from the histories).
import type { Module } from '../nn/module';
import type { Sequential } from '../nn/sequential';
import { noGrad } from '../runtime';
import type { Tensor } from '../tensor';
import type { EpochLog, InputTransform } from '../train/types';
import { applyTransform } from './data';

export interface LayerStats {
  /** 1-based index of the hidden layer (the activation after its Dense). */
  layer: number;
  mean: number;
  std: number;
}

/** Runs the layers one by one on `x` (eval mode) and returns the mean and std of every activation's output. */
export function activationStats(model: Sequential, x: Tensor, transform: InputTransform): LayerStats[] {
  const wasTraining = model.training;
  model.eval();
  const out: LayerStats[] = [];
  try {
    noGrad(() => {
      let h = applyTransform(x, transform);
      let layer = 0;
      for (const m of model.layers as readonly Module[]) {
        const next = m.forward(h);
        h.dispose();
        h = next;
        const type = m.config.type;
        if (type === 'ELU' || type === 'SELU') {
          layer++;
          const mean = h.mean();
          const std = h.std();
          out.push({ layer, mean: mean.item(), std: std.item() });
          mean.dispose();
          std.dispose();
        }
      }
      h.dispose();
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

export interface McAnalysis {
  samples: number;
  /** Accuracy of the mean of the MC samples' probabilities. */
  accuracy: number;
  /** Accuracy of the plain (dropout off) model on the same images. */
  plainAccuracy: number;
  /** Mean over the images of the std (across samples) of the predicted class's probability. */
  meanPredictiveStd: number;
  /** Mean over images and classes of the std of the probabilities. */
  meanStdAllClasses: number;
  /** Mean confidence (max mean probability). */
  meanConfidence: number;
  /** Accuracy of the 10 % of images the MC model is most / least confident about. */
  mostConfidentDecileAccuracy: number;
  leastConfidentDecileAccuracy: number;
  images: number;
}

function argmaxRows(p: Float32Array, classes: number, row: number): number {
  let best = 0;
  for (let c = 1; c < classes; c++)
    if ((p[row * classes + c] as number) > (p[row * classes + best] as number)) best = c;
  return best;
}

export function mcAnalysis(mean: Tensor, std: Tensor, plain: Tensor, labels: Tensor, samples: number): McAnalysis {
  const [n, classes] = mean.shape as [number, number];
  const m = mean.to('float32').toArray() as Float32Array;
  const s = std.to('float32').toArray() as Float32Array;
  const p = plain.to('float32').toArray() as Float32Array;
  const y = Array.from(labels.toArray() as BigInt64Array, Number);
  let correct = 0;
  let plainCorrect = 0;
  let stdTop = 0;
  let stdAll = 0;
  const conf: { c: number; ok: boolean }[] = [];
  for (let i = 0; i < n; i++) {
    const k = argmaxRows(m, classes, i);
    const ok = k === y[i];
    if (ok) correct++;
    if (argmaxRows(p, classes, i) === y[i]) plainCorrect++;
    stdTop += s[i * classes + k] as number;
    for (let c = 0; c < classes; c++) stdAll += s[i * classes + c] as number;
    conf.push({ c: m[i * classes + k] as number, ok });
  }
  conf.sort((a, b) => b.c - a.c);
  const decile = Math.max(1, Math.floor(n / 10));
  const acc = (part: { ok: boolean }[]): number => part.filter((e) => e.ok).length / part.length;
  return {
    samples,
    accuracy: correct / n,
    plainAccuracy: plainCorrect / n,
    meanPredictiveStd: stdTop / n,
    meanStdAllClasses: stdAll / (n * classes),
    meanConfidence: conf.reduce((a, e) => a + e.c, 0) / n,
    mostConfidentDecileAccuracy: acc(conf.slice(0, decile)),
    leastConfidentDecileAccuracy: acc(conf.slice(n - decile)),
    images: n,
  };
}

export interface ComparisonRow {
  variant: string;
  chosenLr: number;
  lrSource: 'search' | 'flag';
  /** Validation accuracy of the restored model = the history's val_accuracy at the epoch of best val_loss. */
  bestValAccuracy: number;
  bestValLoss: number;
  /** Epoch (1-based) of the best val_loss. */
  bestEpoch: number;
  epochsRun: number;
  /** First epoch whose val_loss is at or below the elu model's best val_loss (null: never, or no elu run). */
  epochsToEluBest: number | null;
  /** Training seconds up to that epoch. */
  wallSecondsToEluBest: number | null;
  secondsPerEpoch: number;
  /** Training seconds up to and including the best epoch. */
  wallSecondsToBest: number;
  testAccuracy: number;
  mcAccuracy?: number;
}

export interface VariantOutcome {
  variant: string;
  chosenLr: number;
  lrSource: 'search' | 'flag';
  epochs: EpochLog[];
  bestEpoch: number;
  testAccuracy: number;
  mcAccuracy?: number;
}

/** The comparison table, from the histories. `eluBestValLoss` undefined when elu was not run. */
export function comparisonRows(outcomes: readonly VariantOutcome[]): ComparisonRow[] {
  const elu = outcomes.find((o) => o.variant === 'elu');
  const eluBest = elu ? (elu.epochs[elu.bestEpoch - 1]?.valLoss ?? undefined) : undefined;
  return outcomes.map((o) => {
    const best = o.epochs[o.bestEpoch - 1];
    if (!best) throw new Error(`${o.variant}: the history has no epoch ${o.bestEpoch}`);
    const secondsTo = (epoch: number): number => o.epochs.slice(0, epoch).reduce((a, e) => a + e.seconds, 0);
    const reach = eluBest === undefined ? -1 : o.epochs.findIndex((e) => (e.valLoss ?? Infinity) <= eluBest);
    const row: ComparisonRow = {
      variant: o.variant,
      chosenLr: o.chosenLr,
      lrSource: o.lrSource,
      bestValAccuracy: best.valAccuracy ?? NaN,
      bestValLoss: best.valLoss ?? NaN,
      bestEpoch: o.bestEpoch,
      epochsRun: o.epochs.length,
      epochsToEluBest: reach >= 0 ? reach + 1 : null,
      wallSecondsToEluBest: reach >= 0 ? secondsTo(reach + 1) : null,
      secondsPerEpoch: secondsTo(o.epochs.length) / o.epochs.length,
      wallSecondsToBest: secondsTo(o.bestEpoch),
      testAccuracy: o.testAccuracy,
    };
    if (o.mcAccuracy !== undefined) row.mcAccuracy = o.mcAccuracy;
    return row;
  });
}
