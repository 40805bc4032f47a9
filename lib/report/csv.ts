// history.csv in Keras CSVLogger's layout: epoch (0-based, as Keras writes it), then the metrics in
// alphabetical order: accuracy,loss,val_accuracy,val_loss, and lr (Keras adds lr when a callback logs it).
import type { EpochLog } from '../train/types';

export const HISTORY_COLUMNS = ['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss', 'lr'] as const;

const num = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '' : String(x));

export function historyCsv(epochs: readonly EpochLog[]): string {
  const lines = [HISTORY_COLUMNS.join(',')];
  for (const e of epochs) {
    lines.push([e.epoch - 1, e.accuracy, e.loss, e.valAccuracy, e.valLoss, e.lr].map((v) => num(v)).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Parses a history.csv back (numbers; empty cells become NaN). */
export function parseHistoryCsv(text: string): Record<(typeof HISTORY_COLUMNS)[number], number>[] {
  const [header, ...rows] = text.trim().split('\n');
  const names = (header ?? '').split(',');
  return rows.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, cells[i] === '' ? NaN : Number(cells[i])])) as Record<
      (typeof HISTORY_COLUMNS)[number],
      number
    >;
  });
}
