// The exercise's questions, answered from the measurements (every sentence is built from numbers).
import type { ComparisonRow, LayerStats } from './analysis';
import type { VariantResult } from './run';

export interface Answer {
  question: string;
  answer: string;
  /** yes / no / n/a (when the variants needed were not run). */
  verdict: 'yes' | 'no' | 'n/a';
}

export type Answers = Answer[];

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const sec = (x: number): string => `${x.toFixed(1)} s`;

function layerSummary(stats: LayerStats[]): string {
  if (stats.length === 0) return 'no activation layers';
  const means = stats.map((s) => s.mean);
  const stds = stats.map((s) => s.std);
  const last = stats[stats.length - 1]!;
  return (
    `mean ${Math.min(...means).toFixed(2)}..${Math.max(...means).toFixed(2)}, std ${Math.min(...stds).toFixed(2)}..` +
    `${Math.max(...stds).toFixed(2)} over layers 1-${stats.length} (layer ${last.layer}: mean ${last.mean.toFixed(2)}, ` +
    `std ${last.std.toFixed(2)})`
  );
}

/** Self-normalized: every layer's activations have |mean| < 0.3 and std within [0.6, 1.5]. */
export function selfNormalized(stats: LayerStats[]): boolean {
  return stats.length > 0 && stats.every((s) => Math.abs(s.mean) < 0.3 && s.std > 0.6 && s.std < 1.5);
}

export function answers(results: VariantResult[], rows: ComparisonRow[]): Answers {
  const row = (name: string): ComparisonRow | undefined => rows.find((r) => r.variant === name);
  const result = (name: string): VariantResult | undefined => results.find((r) => r.name === name);
  const out: Answers = [];
  const elu = row('elu');
  const bn = row('bn');

  const q1 = 'Is the BN model converging faster than the elu model?';
  if (elu && bn) {
    const reached = bn.epochsToEluBest !== null;
    const faster = reached && (bn.epochsToEluBest as number) < elu.bestEpoch;
    const fasterWall = reached && (bn.wallSecondsToEluBest as number) < elu.wallSecondsToBest;
    out.push({
      question: q1,
      verdict: faster ? 'yes' : 'no',
      answer: reached
        ? `bn reached the elu model's best val_loss (${elu.bestValLoss.toFixed(4)}, at elu's epoch ${elu.bestEpoch}, ` +
          `${sec(elu.wallSecondsToBest)}) at epoch ${bn.epochsToEluBest} after ${sec(bn.wallSecondsToEluBest as number)}: ` +
          `${faster ? 'fewer' : 'not fewer'} epochs and ${fasterWall ? 'less' : 'more'} wall time.`
        : `bn never reached the elu model's best val_loss (${elu.bestValLoss.toFixed(4)}) in its ${bn.epochsRun} epochs ` +
          `(its best: ${bn.bestValLoss.toFixed(4)}).`,
    });
  } else out.push({ question: q1, verdict: 'n/a', answer: 'needs the elu and bn variants.' });

  const q2 = 'Does BN produce a better model?';
  if (elu && bn) {
    const better = bn.bestValAccuracy > elu.bestValAccuracy;
    out.push({
      question: q2,
      verdict: better ? 'yes' : 'no',
      answer:
        `validation accuracy ${pct(bn.bestValAccuracy)} (bn) vs ${pct(elu.bestValAccuracy)} (elu), ` +
        `test accuracy ${pct(bn.testAccuracy)} vs ${pct(elu.testAccuracy)}; best val_loss ${bn.bestValLoss.toFixed(4)} vs ` +
        `${elu.bestValLoss.toFixed(4)}.`,
    });
  } else out.push({ question: q2, verdict: 'n/a', answer: 'needs the elu and bn variants.' });

  const q3 = 'Does BN make an epoch slower, and by how much?';
  const eluRun = result('elu');
  const bnRun = result('bn');
  if (elu && bn && eluRun && bnRun) {
    // Medians and ranges as well as the table's means: these machines are shared, single epochs can be slow.
    const times = (r: VariantResult): number[] => r.history.epochs.map((e) => e.seconds).sort((a, b) => a - b);
    const median = (xs: number[]): number =>
      xs.length % 2
        ? (xs[(xs.length - 1) / 2] as number)
        : ((xs[xs.length / 2 - 1] as number) + (xs[xs.length / 2] as number)) / 2;
    const [tb, te] = [times(bnRun), times(eluRun)];
    const ratio = median(tb) / median(te);
    out.push({
      question: q3,
      verdict: ratio > 1 ? 'yes' : 'no',
      answer:
        `median ${sec(median(tb))} per epoch with BN vs ${sec(median(te))} without: ${ratio.toFixed(2)}x ` +
        `(${ratio > 1 ? 'slower' : 'not slower'} per epoch; means ${sec(bn.secondsPerEpoch)} vs ${sec(elu.secondsPerEpoch)}, ` +
        `ranges ${sec(tb[0] as number)}-${sec(tb[tb.length - 1] as number)} vs ${sec(te[0] as number)}-${sec(te[te.length - 1] as number)}).`,
    });
  } else out.push({ question: q3, verdict: 'n/a', answer: 'needs the elu and bn variants.' });

  const q4 = 'Does the SELU network self-normalize (activations near mean 0, std 1 through all layers)?';
  const selu = result('selu');
  if (selu) {
    const initOk = selfNormalized(selu.activations.init);
    const trainedOk = selfNormalized(selu.activations.trained);
    const eluStats = result('elu')?.activations.init;
    out.push({
      question: q4,
      verdict: initOk ? 'yes' : 'no',
      answer:
        `at init, ${layerSummary(selu.activations.init)}${initOk ? ': it does' : ': it does not'}; after training, ` +
        `${layerSummary(selu.activations.trained)}${trainedOk ? ' (still normalized)' : ' (drifted off mean 0 / std 1)'}.` +
        (eluStats ? ` For comparison the elu model at init (its raw inputs): ${layerSummary(eluStats)}.` : '') +
        ` Statistics over 1,000 validation images, layers run one by one in eval mode.`,
    });
  } else out.push({ question: q4, verdict: 'n/a', answer: 'needs the selu variant.' });

  const q5 = 'Does MC Dropout improve accuracy over the plain alpha-dropout model?';
  const ad = result('alpha-dropout');
  if (ad?.mc) {
    const mc = ad.mc;
    const gain = mc.accuracy - mc.plainAccuracy;
    out.push({
      question: q5,
      verdict: gain > 0 ? 'yes' : 'no',
      answer:
        `test accuracy ${pct(mc.accuracy)} with MC Dropout (${mc.samples} samples) vs ${pct(mc.plainAccuracy)} plain ` +
        `(${gain >= 0 ? '+' : ''}${(gain * 100).toFixed(2)} points). Mean predictive std of the chosen class ` +
        `${mc.meanPredictiveStd.toFixed(4)}; the 10 % most confident images are ${pct(mc.mostConfidentDecileAccuracy)} ` +
        `right, the 10 % least confident ${pct(mc.leastConfidentDecileAccuracy)}.`,
    });
  } else out.push({ question: q5, verdict: 'n/a', answer: 'needs the alpha-dropout variant.' });
  return out;
}
