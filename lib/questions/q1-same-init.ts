// Q1: is it OK to initialize all the weights to the same value, even one drawn from He initialization?
import * as tn from '../index';
import { fmt, head, kernels, pct, rowSymmetry, type RowSymmetry } from './measure';
import type { Answer, Context, Question } from './types';

export interface Q1Config {
  trainSize: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
}

type Init = 'constant' | 'he_normal';

async function trainOne(ctx: Context, cfg: Q1Config, init: Init) {
  tn.manualSeed(ctx.seed);
  const sizes = [ctx.data.features, ...cfg.hidden, ctx.data.classes];
  // One value per layer, drawn from that layer's He normal distribution: the "same value" of the question.
  const constants = sizes.slice(0, -1).map((fanIn) =>
    tn
      .randn([1])
      .mul(Math.sqrt(2 / fanIn))
      .item(),
  );
  const layers: tn.nn.Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const kernelInitializer = init === 'constant' ? { constant: constants[i] as number } : 'he_normal';
    layers.push(
      new tn.nn.Linear(sizes[i] as number, sizes[i + 1] as number, { kernelInitializer, biasInitializer: 'zeros' }),
    );
    if (i + 2 < sizes.length) layers.push(new tn.nn.ELU());
  }
  const model = new tn.nn.Sequential(layers);
  const optimizer = new tn.optim.NAdam(model.parameters(), { lr: cfg.lr });
  const history = await tn.fit(model, optimizer, head(ctx.data.train, cfg.trainSize), {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    seed: ctx.seed,
  });
  const test = await tn.evaluate(model, ctx.data.test);
  const layersSymmetry: (RowSymmetry & { name: string })[] = kernels(model).map(([name, w]) => ({
    name,
    ...rowSymmetry(w),
  }));
  return {
    init,
    constants: init === 'constant' ? constants : undefined,
    trainLoss: history.epochs.at(-1)?.loss ?? NaN,
    trainAccuracy: history.epochs.at(-1)?.accuracy ?? NaN,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    layers: layersSymmetry,
  };
}

export const q1: Question<Q1Config> = {
  id: 1,
  slug: 'same-value-init',
  title: 'Same-value initialization vs He initialization',
  question:
    'Is it OK to initialize all the weights to the same value as long as that value is selected randomly using He initialization?',
  configs: {
    full: { trainSize: 10000, hidden: [100, 100, 100], epochs: 4, batchSize: 64, lr: 1e-3 },
    quick: { trainSize: 3000, hidden: [100, 100, 100], epochs: 3, batchSize: 64, lr: 1e-3 },
    tiny: { trainSize: 512, hidden: [16, 16, 16], epochs: 4, batchSize: 32, lr: 1e-2 },
  },
  async run(ctx, cfg): Promise<Answer> {
    const constant = await trainOne(ctx, cfg, 'constant');
    const he = await trainOne(ctx, cfg, 'he_normal');
    const hiddenOf = (r: typeof constant) => r.layers.slice(0, -1);
    const rows = [constant, he].flatMap((r) =>
      r.layers.map((l) => [
        r.init,
        l.name,
        l.units,
        fmt(l.maxPairwiseDistance),
        fmt(l.relativeSpread),
        l.distinctRowsAbsolute,
        l.distinctRows,
        l.rank,
      ]),
    );
    const allIdentical = hiddenOf(constant).every((l) => l.distinctRows === 1);
    const bitIdentical = hiddenOf(constant).every((l) => l.distinctRowsAbsolute === 1);
    const chance = 1 / ctx.data.classes;
    const conclusions = [
      allIdentical
        ? `After ${cfg.epochs} epochs every hidden layer of the constant-init net still has 1 distinct unit ` +
          `(rank ${hiddenOf(constant)
            .map((l) => l.rank)
            .join(', ')}; max pairwise distance ` +
          `${fmt(Math.max(...hiddenOf(constant).map((l) => l.maxPairwiseDistance)))}, ` +
          `${bitIdentical ? 'every entry equal within 1e-6' : 'differences only at float32 rounding level'}): the units get ` +
          `identical gradients, so training never breaks the symmetry and each layer acts like a single neuron.`
        : `After ${cfg.epochs} epochs the constant-init net's hidden layers have ` +
          `${hiddenOf(constant)
            .map((l) => l.distinctRows)
            .join(', ')} distinct units out of ` +
          `${hiddenOf(constant)
            .map((l) => l.units)
            .join(', ')} (ranks ${hiddenOf(constant)
            .map((l) => l.rank)
            .join(', ')}): ` +
          `the units start identical and get identical gradients up to float32 rounding; rounding-level differences ` +
          `grew in layer(s) ${hiddenOf(constant)
            .filter((l) => l.distinctRows > 1)
            .map((l) => l.name)
            .join(', ')}, ` +
          `but ${Math.max(...hiddenOf(constant).map((l) => l.distinctRows))} distinct units at most is far below the layers' width: ` +
          `the symmetry is practically never broken.`,
      `He init keeps every unit distinct (rank ${hiddenOf(he)
        .map((l) => l.rank)
        .join(', ')}).`,
      constant.testAccuracy < he.testAccuracy
        ? `Test accuracy: ${pct(constant.testAccuracy)} with the constant vs ${pct(he.testAccuracy)} with He ` +
          `(chance ${pct(chance)}): so no, a same-value init is not OK, however the value is chosen.`
        : `Test accuracy: ${pct(constant.testAccuracy)} with the constant vs ${pct(he.testAccuracy)} with He: ` +
          `the constant did not lose here, contrary to expectation.`,
    ];
    return {
      numbers: { constant, he, chance },
      tables: [
        {
          title: 'Units of each layer after training (rows of W; spread = max distance / mean row norm)',
          columns: [
            'init',
            'layer',
            'units',
            'max pairwise distance',
            'relative spread',
            'distinct (1e-6 abs)',
            'distinct (1e-4 rel)',
            'rank',
          ],
          rows,
        },
        {
          title: 'Accuracy',
          columns: ['init', 'train loss', 'train accuracy', 'test accuracy'],
          rows: [constant, he].map((r) => [r.init, fmt(r.trainLoss), pct(r.trainAccuracy), pct(r.testAccuracy)]),
        },
      ],
      conclusions,
    };
  },
};
