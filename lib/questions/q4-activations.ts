// Q4: when to use SELU, leaky ReLU (and variants), ReLU, tanh, logistic and softmax: one measured
// property each, and the recommendation it supports.
import * as tn from '../index';
import { denseNet } from './dense-net';
import { fmt, head, manualTrain, pct } from './measure';
import type { Answer, Context, Question } from './types';

export interface Q4Config {
  trainSize: number;
  hidden: number[];
  epochs: number;
  batchSize: number;
  /** The deliberately high learning rate of the ReLU vs leaky ReLU run (NAdam). */
  highLr: number;
  /** The binary logistic head's run. */
  binaryEpochs: number;
  binaryLr: number;
  /** Depth of the SELU / tanh / logistic forward passes. */
  depth: number;
  batch: number;
}

const nn = tn.nn;

/** Share of hidden units (over all hidden layers) never positive on the batch, and never with a gradient. */
function deadUnits(
  model: tn.nn.Sequential,
  x: tn.Tensor,
  slope: number,
): { neverPositive: number; zeroGradient: number } {
  return tn.noGrad(() => {
    let h = x;
    let units = 0;
    let neverPositive = 0;
    for (const layer of model.layers.slice(0, -1)) {
      h = layer.forward(h);
      if (layer instanceof nn.Linear) continue;
      const ever = h.gt(0).to('float32').max({ dim: 0 });
      units += ever.shape[0] as number;
      neverPositive += (ever.shape[0] as number) - ever.sum().item();
    }
    // A leaky unit's gradient is `slope` where it is not positive: zero only if the slope is 0.
    return { neverPositive: neverPositive / units, zeroGradient: slope === 0 ? neverPositive / units : 0 };
  });
}

async function reluVsLeaky(ctx: Context, cfg: Q4Config) {
  const runs = [];
  for (const [name, slope] of [
    ['ReLU', 0],
    ['LeakyReLU(0.2)', 0.2],
  ] as const) {
    tn.manualSeed(ctx.seed);
    const act = () => (slope === 0 ? new nn.ReLU() : new nn.LeakyReLU({ negativeSlope: slope }));
    const model = denseNet(ctx.data.features, cfg.hidden, ctx.data.classes, { activation: act });
    const train = head(ctx.data.train, cfg.trainSize);
    const atInit = deadUnits(model, train.x, slope);
    await tn.fit(model, new tn.optim.NAdam(model.parameters(), { lr: cfg.highLr }), train, {
      epochs: cfg.epochs,
      batchSize: cfg.batchSize,
      seed: ctx.seed,
    });
    const after = deadUnits(model, train.x, slope);
    const test = await tn.evaluate(model, ctx.data.test);
    runs.push({ name, slope, atInit, after, testAccuracy: test.accuracy, model });
  }
  return runs;
}

function deepStats(ctx: Context, cfg: Q4Config, act: () => tn.nn.Module, init: tn.nn.Initializer) {
  tn.manualSeed(ctx.seed);
  const model = denseNet(ctx.data.features, Array(cfg.depth).fill(100), ctx.data.classes, { activation: act, init });
  const { x } = head(ctx.data.train, cfg.batch);
  return tn.noGrad(() => {
    let h = x;
    const means: number[] = [];
    const stds: number[] = [];
    for (const layer of model.layers.slice(0, -1)) {
      h = layer.forward(h);
      if (layer instanceof nn.Linear) continue;
      means.push(h.mean().item());
      stds.push(h.std().item());
    }
    return {
      firstMean: means[0] as number,
      lastMean: means.at(-1) as number,
      lastStd: stds.at(-1) as number,
      means,
      stds,
    };
  });
}

async function binaryHead(ctx: Context, cfg: Q4Config) {
  tn.manualSeed(ctx.seed);
  // Binary task: is the class among the first half (CIFAR-10: airplane … deer)?
  const half = Math.floor(ctx.data.classes / 2);
  const toBinary = (y: tn.Tensor) => y.lt(half).to('float32').reshape([-1, 1]);
  const train = head(ctx.data.train, cfg.trainSize);
  const model = denseNet(ctx.data.features, cfg.hidden, 1);
  const opt = new tn.optim.NAdam(model.parameters(), { lr: cfg.binaryLr });
  const { epochLosses } = manualTrain(
    model,
    opt,
    { x: train.x, y: toBinary(train.y) },
    {
      epochs: cfg.binaryEpochs,
      batchSize: cfg.batchSize,
      loss: tn.nn.functional.binaryCrossEntropyWithLogits,
    },
  );
  model.eval();
  return tn.noGrad(() => {
    const p = model.forward(ctx.data.test.x).sigmoid();
    const target = toBinary(ctx.data.test.y);
    const accuracy = p.gt(0.5).to('float32').eq(target).to('float32').mean().item();
    return {
      min: p.min().item(),
      max: p.max().item(),
      accuracy,
      epochLosses,
      majority: Math.max(target.mean().item(), 1 - target.mean().item()),
    };
  });
}

export const q4: Question<Q4Config> = {
  id: 4,
  slug: 'which-activation',
  title: 'When to use SELU, leaky ReLU, ReLU, tanh, logistic and softmax',
  question:
    'In which cases would you want to use each of the following activation functions: SELU, leaky ReLU (and its variants), ReLU, tanh, logistic, and softmax?',
  configs: {
    full: {
      trainSize: 10000,
      hidden: [100, 100, 100, 100],
      epochs: 3,
      batchSize: 64,
      highLr: 1e-2,
      binaryEpochs: 3,
      binaryLr: 5e-4,
      depth: 20,
      batch: 1000,
    },
    quick: {
      trainSize: 3000,
      hidden: [100, 100, 100],
      epochs: 3,
      batchSize: 64,
      highLr: 1e-2,
      binaryEpochs: 2,
      binaryLr: 5e-4,
      depth: 20,
      batch: 500,
    },
    tiny: {
      trainSize: 512,
      hidden: [32, 32],
      epochs: 2,
      batchSize: 64,
      highLr: 3e-2,
      binaryEpochs: 2,
      binaryLr: 1e-3,
      depth: 10,
      batch: 256,
    },
  },
  async run(ctx, cfg): Promise<Answer> {
    const [relu, leaky] = (await reluVsLeaky(ctx, cfg)) as [
      Awaited<ReturnType<typeof reluVsLeaky>>[0],
      Awaited<ReturnType<typeof reluVsLeaky>>[0],
    ];
    const selu = deepStats(ctx, cfg, () => new nn.SELU(), 'lecun_normal');
    const tanh = deepStats(ctx, cfg, () => new nn.Tanh(), 'glorot_uniform');
    const logistic = deepStats(ctx, cfg, () => new nn.Sigmoid(), 'glorot_uniform');
    const binary = await binaryHead(ctx, cfg);
    const probabilities = await tn.predict(relu.model, ctx.data.test.x);
    const rowSums = probabilities.sum({ dim: 1 });
    const softmax = {
      maxRowSumError: rowSums.sub(1).abs().max().item(),
      min: probabilities.min().item(),
      max: probabilities.max().item(),
    };

    const leakyHelps = leaky.after.zeroGradient < relu.after.zeroGradient;
    const rows = [
      [
        'SELU',
        `std of layer ${cfg.depth}'s output at init (lecun_normal, standardized input)`,
        fmt(selu.lastStd),
        Math.abs(selu.lastStd - 1) < 0.2,
        'deep plain stacks of Dense layers (no skip connections, no batch norm): self-normalizes',
      ],
      [
        'leaky ReLU',
        `units with zero gradient after ${cfg.epochs} epochs at lr ${cfg.highLr}`,
        pct(leaky.after.zeroGradient),
        leakyHelps,
        'when ReLU units die (high learning rates, deep nets) or a small latency budget rules out SELU/ELU',
      ],
      [
        'ReLU',
        `dead units after ${cfg.epochs} epochs at lr ${cfg.highLr} (at init ${pct(relu.atInit.zeroGradient)})`,
        pct(relu.after.zeroGradient),
        relu.after.zeroGradient >= leaky.after.zeroGradient,
        'the fast, good default for hidden layers; watch for dead units at high learning rates',
      ],
      [
        'tanh',
        `mean output at the first hidden layer (logistic's: ${fmt(logistic.firstMean)})`,
        fmt(tanh.firstMean),
        Math.abs(tanh.firstMean) < Math.abs(logistic.firstMean),
        'hidden layers that need zero-centred, bounded outputs (e.g. RNNs), or an output in (-1, 1)',
      ],
      [
        'logistic',
        `binary head: outputs in [${fmt(binary.min)}, ${fmt(binary.max)}], test accuracy`,
        pct(binary.accuracy),
        binary.min > 0 && binary.max < 1 && binary.accuracy > binary.majority,
        'the output of a binary (or multilabel) classifier: a probability per output',
      ],
      [
        'softmax',
        'max |row sum - 1| of predicted class probabilities',
        fmt(softmax.maxRowSumError),
        softmax.maxRowSumError < 1e-5,
        'the output of a multiclass classifier with exclusive classes: rows are probability distributions',
      ],
    ];
    return {
      numbers: {
        reluVsLeaky: [relu, leaky].map(({ model: _model, ...r }) => r),
        selu,
        tanh,
        logistic,
        binary,
        softmax,
      },
      tables: [
        {
          title: 'One measured property per activation (supported: the measurement agrees with the recommendation)',
          columns: ['activation', 'measured', 'value', 'supported', 'use it for'],
          rows,
        },
        {
          title: `ReLU vs leaky ReLU, NAdam lr ${cfg.highLr}`,
          columns: [
            'activation',
            'never positive at init',
            'never positive after',
            'zero-gradient units after',
            'test accuracy',
          ],
          rows: [relu, leaky].map((r) => [
            r.name,
            pct(r.atInit.neverPositive),
            pct(r.after.neverPositive),
            pct(r.after.zeroGradient),
            pct(r.testAccuracy),
          ]),
        },
      ],
      conclusions: [
        leakyHelps
          ? `At lr ${cfg.highLr}, ${pct(relu.after.zeroGradient)} of ReLU units died (never positive on ${Math.min(cfg.trainSize, ctx.data.train.x.shape[0] as number)} training examples) ` +
            `while no leaky ReLU unit lost its gradient (${pct(leaky.after.neverPositive)} never positive, but with slope 0.2 they still learn); test accuracy ${pct(relu.testAccuracy)} vs ${pct(leaky.testAccuracy)}.`
          : `No ReLU unit died at lr ${cfg.highLr} here (${pct(relu.after.zeroGradient)}), so leaky ReLU had nothing to fix; test accuracy ${pct(relu.testAccuracy)} vs ${pct(leaky.testAccuracy)}.`,
        `Through ${cfg.depth} layers at init, SELU's output std is ${fmt(selu.lastStd)}; tanh's is ${fmt(tanh.lastStd)}, logistic's ${fmt(logistic.lastStd)}` +
          ` (means ${fmt(selu.lastMean)}, ${fmt(tanh.lastMean)}, ${fmt(logistic.lastMean)}).`,
        `tanh's outputs are ${Math.abs(tanh.firstMean) < Math.abs(logistic.firstMean) ? 'zero-centred' : 'not more centred'} (mean ${fmt(tanh.firstMean)}) where logistic's sit near ${fmt(logistic.firstMean)}.`,
        `A logistic output trained with binary cross-entropy on logits gives probabilities in (0, 1) (here ${fmt(binary.min)} … ${fmt(binary.max)}) ` +
          `and ${pct(binary.accuracy)} test accuracy on the binary task (majority class ${pct(binary.majority)}); softmax rows sum to 1 within ${fmt(softmax.maxRowSumError)}.`,
      ],
    };
  },
};
