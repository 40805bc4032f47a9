// Q7: does dropout slow down training? inference? What does MC Dropout cost?
import * as tn from '../index';
import { denseNet } from './dense-net';
import { fmt, head, median, medianSeconds } from './measure';
import type { Answer, Context, Question } from './types';

export interface Q7Config {
  trainSize: number;
  hidden: number[];
  dropout: number;
  maxEpochs: number;
  patience: number;
  batchSize: number;
  lr: number;
  /** Examples timed at inference, and timing repeats (median). */
  inferenceSize: number;
  repeats: number;
  mcSamples: number[];
}

function build(ctx: Context, cfg: Q7Config, dropout: number): tn.nn.Sequential {
  return denseNet(ctx.data.features, cfg.hidden, ctx.data.classes, { dropout });
}

export const q7: Question<Q7Config> = {
  id: 7,
  slug: 'dropout-cost',
  title: 'What dropout costs: training, inference, MC Dropout',
  question:
    'Does dropout slow down training? Does it slow down inference (i.e., making predictions on new instances)? What about MC Dropout?',
  configs: {
    full: {
      trainSize: 10000,
      hidden: [100, 100, 100],
      dropout: 0.2,
      maxEpochs: 10,
      patience: 3,
      batchSize: 64,
      lr: 5e-4,
      inferenceSize: 2000,
      repeats: 5,
      mcSamples: [10, 100],
    },
    quick: {
      trainSize: 3000,
      hidden: [100, 100],
      dropout: 0.2,
      maxEpochs: 6,
      patience: 2,
      batchSize: 64,
      lr: 5e-4,
      inferenceSize: 1000,
      repeats: 3,
      mcSamples: [10, 100],
    },
    tiny: {
      trainSize: 512,
      hidden: [32],
      dropout: 0.2,
      maxEpochs: 3,
      patience: 1,
      batchSize: 64,
      lr: 1e-3,
      inferenceSize: 256,
      repeats: 3,
      mcSamples: [10, 100],
    },
  },
  async run(ctx, cfg): Promise<Answer> {
    const train = head(ctx.data.train, cfg.trainSize);
    const x = head(ctx.data.test, cfg.inferenceSize).x;
    const runs = [];
    for (const p of [0, cfg.dropout]) {
      tn.manualSeed(ctx.seed);
      const model = build(ctx, cfg, p);
      const history = await tn.fit(model, new tn.optim.NAdam(model.parameters(), { lr: cfg.lr }), train, {
        epochs: cfg.maxEpochs,
        batchSize: cfg.batchSize,
        validation: ctx.data.test,
        earlyStopping: { patience: cfg.patience, restoreBestWeights: true },
        seed: ctx.seed,
      });
      // Best-of (the least disturbed epoch) on a shared machine; the median is kept too.
      const secondsPerEpoch = Math.min(...history.epochs.map((e) => e.seconds));
      const secondsPerEpochMedian = median(history.epochs.map((e) => e.seconds));
      const best = history.epochs[history.bestEpoch - 1];
      runs.push({
        dropout: p,
        model,
        secondsPerEpoch,
        secondsPerEpochMedian,
        epochsRun: history.epochs.length,
        bestEpoch: history.bestEpoch,
        stoppedEarly: history.stoppedEarly,
        bestValLoss: best?.valLoss ?? NaN,
        bestValAccuracy: best?.valAccuracy ?? NaN,
        predictSeconds: NaN,
      });
    }
    const [plain, dropped] = runs as [(typeof runs)[0], (typeof runs)[0]];
    // Interleaved (A B A B ...) so that load on a shared machine hits both alike; best-of.
    const times: [number[], number[]] = [[], []];
    await tn.predict(plain.model, x);
    await tn.predict(dropped.model, x);
    for (let i = 0; i < cfg.repeats; i++) {
      for (const [k, r] of [plain, dropped].entries()) {
        const start = process.hrtime.bigint();
        await tn.predict(r.model, x);
        times[k]!.push(Number(process.hrtime.bigint() - start) / 1e9);
      }
    }
    plain.predictSeconds = Math.min(...times[0]);
    dropped.predictSeconds = Math.min(...times[1]);
    const mc = [];
    for (const [k, samples] of cfg.mcSamples.entries()) {
      // The first sample count warms up; the large ones run once (100 passes are their own average).
      const seconds = await medianSeconds(
        () => tn.predictMC(dropped.model, x, { samples }),
        samples >= 100 ? 1 : cfg.repeats,
        k === 0,
      );
      mc.push({ samples, seconds, relativeToOnePass: seconds / dropped.predictSeconds });
    }
    const mcSmall = mc[0]!;
    const mcLarge = mc.at(-1)!;
    const epochRatio = dropped.secondsPerEpoch / plain.secondsPerEpoch;
    const inferenceRatio = dropped.predictSeconds / plain.predictSeconds;
    const converge = dropped.bestEpoch - plain.bestEpoch;
    const stopNote = (r: typeof plain) =>
      r.stoppedEarly ? `early-stopped at epoch ${r.epochsRun}` : `still improving at the ${cfg.maxEpochs}-epoch cap`;
    const conclusions = [
      `Training: ${fmt(dropped.secondsPerEpoch)} s per epoch with Dropout(${cfg.dropout}) vs ${fmt(plain.secondsPerEpoch)} s without (x${fmt(epochRatio, 3)}), ` +
        `and the best validation loss came at epoch ${dropped.bestEpoch} vs ${plain.bestEpoch} (${stopNote(dropped)}; without: ${stopNote(plain)}): ` +
        (converge > 0 && epochRatio > 1.05
          ? 'dropout slows training down, both per epoch and in epochs to converge.'
          : converge > 0
            ? `dropout slows training down by needing more epochs to converge (per epoch it was not slower here: x${fmt(epochRatio, 3)}).`
            : epochRatio > 1.05
              ? 'each epoch is slower with dropout (the masks cost time), though it did not need more epochs here.'
              : 'no slowdown showed in this run.'),
      `Inference in eval mode: ${fmt(dropped.predictSeconds * 1000)} ms with the dropout layers vs ${fmt(plain.predictSeconds * 1000)} ms without (x${fmt(inferenceRatio, 3)}) for ` +
        `${x.shape[0]} examples: ${Math.abs(inferenceRatio - 1) < 0.25 ? 'dropout is off at inference, so it costs (nearly) nothing' : 'a measurable difference here (timing noise on a shared machine is a few tens of %)'}.`,
      `MC Dropout multiplies the inference cost by about the number of samples: ${mc.map((m) => `${m.samples} samples x${fmt(m.relativeToOnePass, 3)}`).join(', ')} ` +
        `of one pass; ${mcLarge.samples} samples took ${fmt(mcLarge.seconds / mcSmall.seconds, 3)} times as long as ${mcSmall.samples}.`,
    ];
    const clean = runs.map(({ model: _model, ...r }) => r);
    return {
      numbers: { runs: clean, mc, epochRatio, inferenceRatio, inferenceExamples: x.shape[0] },
      tables: [
        {
          title: `Training (NAdam lr ${cfg.lr}, batch ${cfg.batchSize}, early stopping patience ${cfg.patience}, at most ${cfg.maxEpochs} epochs)`,
          columns: [
            'dropout',
            's / epoch (best; median)',
            'epochs run',
            'best epoch',
            'best val loss',
            'best val accuracy',
            `predict ${x.shape[0]} (ms, eval mode, best of ${cfg.repeats})`,
          ],
          rows: clean.map((r) => [
            r.dropout,
            `${fmt(r.secondsPerEpoch)}; ${fmt(r.secondsPerEpochMedian)}`,
            r.epochsRun,
            r.bestEpoch,
            fmt(r.bestValLoss),
            `${fmt(r.bestValAccuracy * 100, 3)} %`,
            fmt(r.predictSeconds * 1000),
          ]),
        },
        {
          title: 'MC Dropout vs one eval-mode pass (same model, same examples)',
          columns: ['passes', 'seconds', 'relative to one pass'],
          rows: [
            [1, fmt(dropped.predictSeconds), 1],
            ...mc.map((m) => [m.samples, fmt(m.seconds), fmt(m.relativeToOnePass, 3)]),
          ],
        },
      ],
      conclusions,
    };
  },
};
