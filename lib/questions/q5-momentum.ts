// Q5: what may happen with SGD momentum 0.99999? Loss curves over the same steps for 0.9, 0.99, 0.99999.
import * as tn from '../index';
import { denseNet } from './dense-net';
import { fmt, head, summarizeCurve, type CurveSummary } from './measure';
import type { Answer, Question } from './types';

export interface Q5Config {
  trainSize: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  momenta: number[];
  /** Moving-average window (batches) for the curve summaries. */
  window: number;
  /** Points of the curve shown in the table. */
  points: number;
}

export const q5: Question<Q5Config> = {
  id: 5,
  slug: 'sgd-momentum',
  title: 'SGD momentum 0.99999 vs 0.9 and 0.99',
  question:
    'What may happen if you set the momentum hyperparameter too close to 1 (e.g., 0.99999) when using an SGD optimizer?',
  configs: {
    full: {
      trainSize: 10000,
      hidden: [100, 100],
      epochs: 3,
      batchSize: 64,
      lr: 0.01,
      momenta: [0.9, 0.99, 0.99999],
      window: 20,
      points: 10,
    },
    quick: {
      trainSize: 3000,
      hidden: [100, 100],
      epochs: 3,
      batchSize: 64,
      lr: 0.01,
      momenta: [0.9, 0.99, 0.99999],
      window: 10,
      points: 8,
    },
    tiny: {
      trainSize: 1024,
      hidden: [32],
      epochs: 3,
      batchSize: 32,
      lr: 0.01,
      momenta: [0.9, 0.99, 0.99999],
      window: 5,
      points: 6,
    },
  },
  async run(ctx, cfg): Promise<Answer> {
    const runs: {
      momentum: number;
      losses: number[];
      summary: CurveSummary;
      testAccuracy: number;
      stoppedEarly: boolean;
    }[] = [];
    for (const momentum of cfg.momenta) {
      tn.manualSeed(ctx.seed); // the same initial weights and the same batches for every momentum
      const model = denseNet(ctx.data.features, cfg.hidden, ctx.data.classes, { outputInit: 'he_normal' });
      const history = await tn.fit(
        model,
        new tn.optim.SGD(model.parameters(), { lr: cfg.lr, momentum }),
        head(ctx.data.train, cfg.trainSize),
        {
          epochs: cfg.epochs,
          batchSize: cfg.batchSize,
          seed: ctx.seed,
          recordBatches: true,
        },
      );
      const losses = Array.from(history.batchLosses ?? []);
      const test = await tn.evaluate(model, ctx.data.test);
      runs.push({
        momentum,
        losses,
        summary: summarizeCurve(losses, cfg.window),
        testAccuracy: test.accuracy,
        stoppedEarly: history.stoppedEarly || history.stoppedByCallback,
      });
    }
    const steps = Math.max(...runs.map((r) => r.losses.length));
    const at = Array.from({ length: cfg.points }, (_, i) => Math.round(((i + 1) * steps) / cfg.points) - 1);
    const byMomentum = (m: number) => runs.find((r) => r.momentum === m)!;
    const base = byMomentum(cfg.momenta[0] as number);
    const extreme = byMomentum(cfg.momenta.at(-1) as number);
    const conclusions = runs.map(
      (r) =>
        `momentum ${r.momentum}: final loss ${fmt(r.summary.final)}, max ${fmt(r.summary.max)}, smoothed minimum ${fmt(r.summary.min)} at step ${r.summary.minStep + 1}, ` +
        `then climbs ${fmt(r.summary.climbAfterMin)}; ${r.summary.directionChanges} direction changes` +
        (r.summary.diverged ? ' — it diverged (the loss ended above where it started or stopped being finite).' : '.'),
    );
    const overshoots = extreme.summary.climbAfterMin > 3 * base.summary.climbAfterMin;
    conclusions.push(
      extreme.summary.diverged || overshoots || extreme.summary.final > 2 * base.summary.final
        ? `With momentum ${extreme.momentum} the velocity sums ~${fmt(1 / (1 - extreme.momentum))} past gradients with almost no decay, ` +
            `so the steps keep growing and the optimizer overshoots: after its minimum the loss climbs ${fmt(extreme.summary.climbAfterMin)} ` +
            `(vs ${fmt(base.summary.climbAfterMin)} at ${base.momentum}) and ends at ${fmt(extreme.summary.final)} (vs ${fmt(base.summary.final)}). ` +
            (extreme.summary.diverged
              ? 'Here it diverged: too much momentum keeps training from converging.'
              : 'It oscillates instead of settling: too much momentum keeps training from converging.')
        : `Momentum ${extreme.momentum} neither diverged nor oscillated more within ${steps} steps here ` +
            `(final ${fmt(extreme.summary.final)} vs ${fmt(base.summary.final)}, climb after the minimum ${fmt(extreme.summary.climbAfterMin)} vs ${fmt(base.summary.climbAfterMin)}).`,
    );
    conclusions.push(
      `Test accuracy: ${runs.map((r) => `${fmt(r.testAccuracy * 100, 3)} % at ${r.momentum}`).join(', ')}.`,
    );
    return {
      numbers: { runs },
      tables: [
        {
          title: `Batch loss (moving average over ${cfg.window} batches), SGD lr ${cfg.lr}`,
          columns: ['step', ...runs.map((r) => `momentum ${r.momentum}`)],
          rows: at.map((step) => [step + 1, ...runs.map((r) => fmt(summarizeSlice(r.losses, step, cfg.window)))]),
        },
        {
          title: 'Curve summary',
          columns: [
            'momentum',
            'first',
            'max',
            'final',
            'smoothed min (step)',
            'climb after min',
            'direction changes',
            'diverged',
            'test accuracy',
          ],
          rows: runs.map((r) => [
            r.momentum,
            fmt(r.summary.first),
            fmt(r.summary.max),
            fmt(r.summary.final),
            `${fmt(r.summary.min)} (${r.summary.minStep + 1})`,
            fmt(r.summary.climbAfterMin),
            r.summary.directionChanges,
            r.summary.diverged,
            `${fmt(r.testAccuracy * 100, 3)} %`,
          ]),
        },
      ],
      conclusions,
    };
  },
};

function summarizeSlice(losses: number[], step: number, window: number): number {
  if (step >= losses.length) return NaN;
  const from = Math.max(0, step - window + 1);
  const part = losses.slice(from, step + 1);
  return part.reduce((a, b) => a + b, 0) / part.length;
}
