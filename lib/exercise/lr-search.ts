// Learning-rate search: an LR range test (exponential ramp over about one epoch, loss vs LR) and the
// pure functions that read its curve. The sweep that follows lives in run.ts (it trains).

export interface RangeCurve {
  lrs: number[];
  losses: number[];
  /** Bias-corrected exponential moving average of the losses: beta 0.98 as in fastai's finder on ramps of
   *  1,400+ batches, lower on shorter ramps (an averaging window of ~3.6 % of the ramp, 10 batches at least). */
  smoothed: number[];
}

export interface RangeSuggestion {
  /** LR at the minimum of the smoothed loss. */
  minLossLr: number;
  /** LR where the smoothed loss falls fastest per unit of log(LR), before the minimum. */
  steepestLr: number;
  /** The suggestion: a tenth of minLossLr (the point where the loss is still falling steadily). */
  suggestedLr: number;
  /** Index (into the curve) of the minimum and of the steepest descent. */
  minIndex: number;
  steepestIndex: number;
  /** True when the ramp stopped early because the loss became NaN/infinite (the curve ends there). */
  diverged: boolean;
}

export function smooth(losses: readonly number[], beta = 0.98): number[] {
  const out: number[] = [];
  let avg = 0;
  for (let i = 0; i < losses.length; i++) {
    avg = beta * avg + (1 - beta) * (losses[i] as number);
    out.push(avg / (1 - beta ** (i + 1)));
  }
  return out;
}

export function rangeCurve(lrs: ArrayLike<number>, losses: ArrayLike<number>): RangeCurve {
  const n = Math.min(lrs.length, losses.length);
  const l: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < n; i++) {
    const value = losses[i] as number;
    if (!Number.isFinite(value)) break;
    l.push(value);
    r.push(lrs[i] as number);
  }
  // fastai's beta 0.98 averages over ~50 batches (1 / (1 - beta)): 3.6 % of a 1,407-batch ramp, but a third of
  // --quick's 157. Keep that window at ~3.6 % of the ramp, between 10 and 50 batches.
  const window = Math.min(50, Math.max(10, l.length / 28));
  return { lrs: r, losses: l, smoothed: smooth(l, 1 - 1 / window) };
}

/** Reads a range-test curve: the minimum of the smoothed loss, the steepest descent before it, and the
 *  suggestion (minLossLr / 10). `skip` leading batches are ignored (the moving average is still warming up). */
export function suggestLr(curve: RangeCurve, diverged = false): RangeSuggestion {
  const s = curve.smoothed;
  const n = s.length;
  if (n < 5) throw new Error(`LR range test: only ${n} finite losses were recorded; widen the ramp or use --lr`);
  const skip = Math.min(Math.floor(n * 0.05), 20);
  let minIndex = skip;
  for (let i = skip; i < n; i++) if ((s[i] as number) < (s[minIndex] as number)) minIndex = i;
  // Slope over a window of k points each side, against log(lr).
  const k = Math.max(1, Math.round(n / 25));
  let steepestIndex = skip;
  let steepest = Infinity;
  for (let i = skip; i <= minIndex; i++) {
    const a = Math.max(0, i - k);
    const b = Math.min(n - 1, i + k);
    if (b === a) continue;
    const slope =
      ((s[b] as number) - (s[a] as number)) / (Math.log(curve.lrs[b] as number) - Math.log(curve.lrs[a] as number));
    if (slope < steepest) {
      steepest = slope;
      steepestIndex = i;
    }
  }
  const minLossLr = curve.lrs[minIndex] as number;
  return {
    minLossLr,
    steepestLr: curve.lrs[steepestIndex] as number,
    suggestedLr: minLossLr / 10,
    minIndex,
    steepestIndex,
    diverged,
  };
}

/** The sweep's candidates: the suggestion and rates `factor` apart on both sides of it (x/9, x/3, x, 3x, 9x for
 *  five; an even count has one more below than above), rounded to 2 significant digits. */
export function sweepCandidates(suggested: number, count = 5, factor = 3): number[] {
  // Both sides, far enough: on the real data the best rate was a ninth of the suggestion for the elu net (raw
  // pixels; the suggestion itself diverged in its 7th epoch) and three to nine times it for the SELU nets.
  const below = Math.floor(count / 2);
  const out: number[] = [];
  for (let i = -below; i < count - below; i++) out.push(Number((suggested * factor ** i).toPrecision(2)));
  return [...new Set(out)].sort((a, b) => a - b);
}

export interface SweepScore {
  lr: number;
  /** Lowest val_loss over the candidate's epochs (Infinity when it diverged). */
  bestValLoss: number;
}

/** The sweep's winner: the largest rate whose best val_loss is within `tolerance` (relative) of the lowest.
 *  A 3-epoch val_loss on 5,000 images tells rates apart only roughly: per-image cross-entropies spread
 *  widely (standard deviation 1.14 on the trained bn model, so the mean's standard error is 1.2 % of it),
 *  and consecutive epochs of one run move by 1-3 %. Among rates that close, the larger is the better bet
 *  for the long run (on the real data bn's 1.2e-4 and 3.6e-4 scored 1.551 and 1.554 after 3 epochs). The
 *  default 0.5 % stays well clear of a larger rate that is really worse: elu's 2.8e-3, 1.3 % behind
 *  3.1e-4, collapsed to chance in its 7th epoch. Undefined when every candidate diverged. */
export function sweepWinner<T extends SweepScore>(scores: readonly T[], tolerance = 0.005): T | undefined {
  const finite = scores.filter((s) => Number.isFinite(s.bestValLoss));
  if (finite.length === 0) return undefined;
  const lowest = Math.min(...finite.map((s) => s.bestValLoss));
  const close = finite.filter((s) => s.bestValLoss <= lowest * (1 + tolerance));
  return close.reduce((a, b) => (b.lr > a.lr ? b : a));
}

/** The rate to train at after training at the rates `failed` fell to chance level: the sweep's winner among
 *  the candidates below the smallest of them (undefined when none is left). The sweep scores a rate on its first
 *  epochs only: on the real data elu's 1.8e-3 had the best 3-epoch val_loss (1.837, 2.4 % ahead) and fell to
 *  chance in its 8th epoch. */
export function retryLr<T extends SweepScore>(
  scores: readonly T[],
  failed: readonly number[],
  tolerance = 0.005,
): T | undefined {
  const below = Math.min(...failed);
  return sweepWinner(
    scores.filter((s) => s.lr < below),
    tolerance,
  );
}

/** Consecutive epochs at chance level (see `collapsed`) after which the final training gives up on its rate. */
export const COLLAPSED_EPOCHS = 3;

/** A net that fell to chance level: val_loss at ln(classes) and accuracy near 1/classes (its outputs no longer
 *  depend on the input). A sweep candidate there cannot recover within the sweep: its other epochs are
 *  skipped (on the real data elu at 2.5e-2 sat there from its first epoch, at 2-3x the time of a sane one). */
export function collapsed(log: { valLoss?: number; valAccuracy?: number }, classes: number): boolean {
  if (log.valLoss === undefined || log.valAccuracy === undefined) return false;
  return log.valLoss >= Math.log(classes) * 0.999 && log.valAccuracy <= 1.5 / classes;
}

/** Keeps at most `max` points of a curve (evenly spaced, last point kept) for charts and JSON. */
export function thin<T>(values: readonly T[], max = 400): T[] {
  if (values.length <= max) return [...values];
  const out: T[] = [];
  const step = (values.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(values[Math.round(i * step)] as T);
  return out;
}
