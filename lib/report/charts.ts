// The report's charts, built from the summary: one list, written inline into report.html and as PNGs for report.md.
import type { Summary } from '../exercise/run';
import { thin } from '../exercise/lr-search';
import { lineChart, PALETTE } from './svg';

export interface Chart {
  /** File name stem for the PNG (charts/<id>.png). */
  id: string;
  title: string;
  svg: string;
}

export function charts(summary: Summary): Chart[] {
  const out: Chart[] = [];
  const color = (name: string): string =>
    PALETTE[['elu', 'bn', 'selu', 'alpha-dropout'].indexOf(name) % PALETTE.length] ?? '#333';
  const vs = summary.variants;
  if (vs.length > 1) {
    out.push({
      id: 'overlay-val-loss',
      title: 'Validation loss, all variants',
      svg: lineChart({
        title: 'Validation loss, all variants',
        xLabel: 'epoch',
        yLabel: 'val_loss',
        series: vs.map((v) => ({
          name: v.name,
          color: color(v.name),
          points: v.history.epochs.map((e) => [e.epoch, e.valLoss ?? NaN]),
        })),
      }),
    });
    out.push({
      id: 'overlay-val-accuracy',
      title: 'Validation accuracy, all variants',
      svg: lineChart({
        title: 'Validation accuracy, all variants',
        xLabel: 'epoch',
        yLabel: 'val_accuracy',
        series: vs.map((v) => ({
          name: v.name,
          color: color(v.name),
          points: v.history.epochs.map((e) => [e.epoch, e.valAccuracy ?? NaN]),
        })),
      }),
    });
  }
  for (const v of vs) {
    const e = v.history.epochs;
    const c = color(v.name);
    out.push({
      id: `${v.name}-loss`,
      title: `${v.name}: loss`,
      svg: lineChart({
        title: `${v.name}: loss (best val_loss at epoch ${v.history.bestEpoch})`,
        xLabel: 'epoch',
        yLabel: 'cross-entropy',
        series: [
          { name: 'train', color: c, points: e.map((x) => [x.epoch, x.loss]) },
          { name: 'validation', color: c, dashed: true, points: e.map((x) => [x.epoch, x.valLoss ?? NaN]) },
        ],
        markers: [{ x: v.history.bestEpoch, label: 'best' }],
      }),
    });
    out.push({
      id: `${v.name}-accuracy`,
      title: `${v.name}: accuracy`,
      svg: lineChart({
        title: `${v.name}: accuracy`,
        xLabel: 'epoch',
        yLabel: 'accuracy',
        series: [
          { name: 'train', color: c, points: e.map((x) => [x.epoch, x.accuracy]) },
          { name: 'validation', color: c, dashed: true, points: e.map((x) => [x.epoch, x.valAccuracy ?? NaN]) },
        ],
      }),
    });
    const rt = v.lrSearch.rangeTest;
    if (rt) {
      const idx = thin(
        rt.lrs.map((_, i) => i),
        500,
      );
      const first = rt.smoothed[Math.min(rt.smoothed.length - 1, Math.floor(rt.smoothed.length * 0.05))] ?? 3;
      out.push({
        id: `${v.name}-lr-range`,
        title: `${v.name}: LR range test`,
        svg: lineChart({
          title: `${v.name}: LR range test (loss vs learning rate)`,
          xLabel: 'learning rate (log scale)',
          yLabel: 'training loss',
          logX: true,
          yMax: Math.max(first * 1.5, (rt.smoothed[rt.minIndex] ?? 0) * 2),
          series: [
            { name: 'batch loss', color: '#bbbbbb', points: idx.map((i) => [rt.lrs[i]!, rt.losses[i]!]) },
            { name: 'smoothed', color: c, points: idx.map((i) => [rt.lrs[i]!, rt.smoothed[i]!]) },
          ],
          markers: [
            { x: rt.minLossLr, label: 'min', color: '#d62728' },
            { x: rt.steepestLr, label: 'steepest', color: '#2ca02c' },
            { x: v.lrSearch.chosenLr, label: `chosen ${v.lrSearch.chosenLr}`, color: '#1f77b4' },
          ],
        }),
      });
    }
    if (v.lrSearch.sweep && v.lrSearch.sweep.length) {
      out.push({
        id: `${v.name}-lr-sweep`,
        title: `${v.name}: LR sweep`,
        svg: lineChart({
          title: `${v.name}: LR sweep (validation loss per epoch)`,
          xLabel: 'epoch',
          yLabel: 'val_loss',
          series: v.lrSearch.sweep.map((s, i) => ({
            name: `lr ${s.lr}${s.lr === v.lrSearch.chosenLr ? ' (chosen)' : ''}`,
            color: PALETTE[i % PALETTE.length],
            points: s.epochs.map((x) => [x.epoch, x.valLoss ?? NaN] as [number, number]),
          })),
        }),
      });
    }
  }
  const withActivations = vs.filter((v) => v.activations.init.length);
  if (withActivations.length) {
    for (const stat of ['mean', 'std'] as const) {
      out.push({
        id: `activations-${stat}`,
        title: `Activation ${stat} per layer`,
        svg: lineChart({
          title: `Activation ${stat} per hidden layer (solid: at init, dashed: trained)`,
          xLabel: 'hidden layer',
          yLabel: stat,
          series: withActivations.flatMap((v) => [
            {
              name: `${v.name} init`,
              color: color(v.name),
              points: v.activations.init.map((s) => [s.layer, s[stat]] as [number, number]),
            },
            {
              name: `${v.name} trained`,
              color: color(v.name),
              dashed: true,
              points: v.activations.trained.map((s) => [s.layer, s[stat]] as [number, number]),
            },
          ]),
        }),
      });
    }
  }
  return out;
}
