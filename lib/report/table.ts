// The comparison table, as cells (shared by the HTML and Markdown writers so both show the same numbers).
import type { ComparisonRow } from '../exercise/analysis';
import type { Summary } from '../exercise/run';

export const TABLE_HEADER = [
  'variant',
  'chosen LR',
  'best val acc',
  'reference val acc',
  'epoch of best val_loss',
  'epochs run',
  "epochs to elu's best val_loss",
  's/epoch',
  'wall time to best (s)',
  'test accuracy',
  'MC Dropout test accuracy',
];

export const pct = (x: number | undefined): string =>
  x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(2)} %`;

export function tableRows(summary: Summary): string[][] {
  return summary.comparison.map((r: ComparisonRow) => {
    const v = summary.variants.find((x) => x.name === r.variant);
    return [
      r.variant,
      `${r.chosenLr}${r.lrSource === 'flag' ? ' (--lr)' : ''}`,
      pct(r.bestValAccuracy),
      pct(v?.config.reference.valAccuracy),
      String(r.bestEpoch),
      String(r.epochsRun),
      r.epochsToEluBest === null ? '—' : String(r.epochsToEluBest),
      r.secondsPerEpoch.toFixed(2),
      r.wallSecondsToBest.toFixed(1),
      pct(r.testAccuracy),
      pct(r.mcAccuracy),
    ];
  });
}
