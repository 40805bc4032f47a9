// Q2: is it OK to initialize the bias terms to 0?
import * as tn from '../index';
import { fmt, head, pct } from './measure';
import type { Answer, Question } from './types';

export interface Q2Config {
  trainSize: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  /** Std of the "small random" bias init. */
  biasStd: number;
  /** Final validation accuracies closer than this (a share) count as "about the same". */
  sameWithin: number;
}

export const q2: Question<Q2Config> = {
  id: 2,
  slug: 'zero-bias-init',
  title: 'Zero biases vs small random biases',
  question: 'Is it OK to initialize the bias terms to 0?',
  configs: {
    full: {
      trainSize: 10000,
      hidden: [100, 100, 100],
      epochs: 5,
      batchSize: 64,
      lr: 5e-4,
      biasStd: 0.1,
      sameWithin: 0.03,
    },
    quick: {
      trainSize: 3000,
      hidden: [100, 100, 100],
      epochs: 4,
      batchSize: 64,
      lr: 5e-4,
      biasStd: 0.1,
      sameWithin: 0.03,
    },
    tiny: { trainSize: 512, hidden: [16, 16], epochs: 3, batchSize: 64, lr: 1e-3, biasStd: 0.1, sameWithin: 0.1 },
  },
  async run(ctx, cfg): Promise<Answer> {
    const variants = [
      { name: 'zeros', biasInitializer: 'zeros' as const },
      { name: `normal(0, ${cfg.biasStd})`, biasInitializer: { normal: { mean: 0, std: cfg.biasStd } } },
    ];
    const runs = [];
    for (const v of variants) {
      tn.manualSeed(ctx.seed);
      const sizes = [ctx.data.features, ...cfg.hidden, ctx.data.classes];
      const layers: tn.nn.Module[] = [];
      for (let i = 0; i + 1 < sizes.length; i++) {
        layers.push(
          new tn.nn.Linear(sizes[i] as number, sizes[i + 1] as number, {
            kernelInitializer: 'he_normal',
            biasInitializer: v.biasInitializer,
          }),
        );
        if (i + 2 < sizes.length) layers.push(new tn.nn.ELU());
      }
      const model = new tn.nn.Sequential(layers);
      const history = await tn.fit(
        model,
        new tn.optim.NAdam(model.parameters(), { lr: cfg.lr }),
        head(ctx.data.train, cfg.trainSize),
        {
          epochs: cfg.epochs,
          batchSize: cfg.batchSize,
          validation: ctx.data.test,
          seed: ctx.seed,
        },
      );
      runs.push({
        bias: v.name,
        epochs: history.epochs.map(({ epoch, loss, accuracy, valLoss, valAccuracy }) => ({
          epoch,
          loss,
          accuracy,
          valLoss,
          valAccuracy,
        })),
      });
    }
    const [zero, random] = runs as [(typeof runs)[0], (typeof runs)[0]];
    const last = (r: typeof zero) => r.epochs.at(-1)!;
    const accGap = (last(zero).valAccuracy ?? NaN) - (last(random).valAccuracy ?? NaN);
    const lossGap = (last(zero).valLoss ?? NaN) - (last(random).valLoss ?? NaN);
    const maxEpochGap = Math.max(
      ...zero.epochs.map((e, i) => Math.abs((e.valAccuracy ?? NaN) - (random.epochs[i]?.valAccuracy ?? NaN))),
    );
    const same = Math.abs(accGap) <= cfg.sameWithin;
    return {
      numbers: { runs, finalValAccuracyGap: accGap, finalValLossGap: lossGap, maxEpochValAccuracyGap: maxEpochGap },
      tables: [
        {
          title: 'Per epoch (validation = the test split)',
          columns: [
            'epoch',
            'loss (zeros)',
            'loss (random)',
            'val loss (zeros)',
            'val loss (random)',
            'val acc (zeros)',
            'val acc (random)',
          ],
          rows: zero.epochs.map((e, i) => {
            const r = random.epochs[i]!;
            return [
              e.epoch,
              fmt(e.loss),
              fmt(r.loss),
              fmt(e.valLoss ?? NaN),
              fmt(r.valLoss ?? NaN),
              pct(e.valAccuracy ?? NaN),
              pct(r.valAccuracy ?? NaN),
            ];
          }),
        },
      ],
      conclusions: [
        `Final validation accuracy: ${pct(last(zero).valAccuracy ?? NaN)} with zero biases vs ` +
          `${pct(last(random).valAccuracy ?? NaN)} with ${random.bias} biases (gap ${fmt(accGap * 100, 2)} points, ` +
          `largest gap over the epochs ${fmt(maxEpochGap * 100, 2)} points); validation loss ${fmt(last(zero).valLoss ?? NaN)} vs ${fmt(last(random).valLoss ?? NaN)}.`,
        same
          ? `The two train about the same (within ${fmt(cfg.sameWithin * 100, 2)} points): zero biases are fine, because ` +
            `the random kernels already break the symmetry between units.`
          : `The gap exceeds ${fmt(cfg.sameWithin * 100, 2)} points in this run: ${accGap > 0 ? 'zero' : 'random'} biases did better here.`,
      ],
    };
  },
};
