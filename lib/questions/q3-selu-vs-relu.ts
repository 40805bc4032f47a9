// Q3: three advantages of SELU over ReLU, measured at initialization through a deep net.
import * as tn from '../index';
import { fmt, head, kernels, pct } from './measure';
import type { Answer, Context, Question } from './types';

export interface Q3Config {
  depth: number;
  width: number;
  /** Examples in the batch the statistics are taken on. */
  batch: number;
}

export interface LayerStats {
  layer: number;
  mean: number;
  std: number;
  /** Share of units never positive on the batch ("dead" for ReLU: output 0, gradient 0 for every example). */
  deadShare: number;
  /** Share of units whose activation gradient is 0 for every example of the batch. */
  zeroGradShare: number;
  /** Share of outputs below 0. */
  negativeShare: number;
  /** Frobenius norm of the loss gradient of this layer's kernel at init. */
  gradNorm: number;
}

const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

function profile(ctx: Context, cfg: Q3Config, kind: 'selu' | 'relu'): LayerStats[] {
  tn.manualSeed(ctx.seed);
  const layers: tn.nn.Module[] = [];
  for (let i = 0; i < cfg.depth; i++) {
    layers.push(
      new tn.nn.Linear(i === 0 ? ctx.data.features : cfg.width, cfg.width, {
        kernelInitializer: kind === 'selu' ? 'lecun_normal' : 'he_normal',
        biasInitializer: 'zeros',
      }),
      kind === 'selu' ? new tn.nn.SELU() : new tn.nn.ReLU(),
    );
  }
  layers.push(
    new tn.nn.Linear(cfg.width, ctx.data.classes, { kernelInitializer: 'lecun_normal', biasInitializer: 'zeros' }),
  );
  const model = new tn.nn.Sequential(layers);
  const { x, y } = head(ctx.data.train, cfg.batch);

  // Statistics: run the layers one by one and look at each activation's output.
  const stats: Omit<LayerStats, 'gradNorm'>[] = [];
  tn.noGrad(() => {
    let h = x;
    for (let i = 0; i < model.layers.length - 1; i += 2) {
      const z = model.layers[i]!.forward(h);
      const a = model.layers[i + 1]!.forward(z);
      const everPositive = a.gt(0).to('float32').max({ dim: 0 });
      // d selu/dz = scale * alpha * e^z for z <= 0: zero in float32 only when e^z underflows.
      const derivative =
        kind === 'relu'
          ? z.gt(0).to('float32')
          : z
              .gt(0)
              .to('float32')
              .add(
                z
                  .minimum(tn.zeros([1]))
                  .exp()
                  .mul(SELU_SCALE * SELU_ALPHA),
              );
      const everGrad = derivative.gt(0).to('float32').max({ dim: 0 });
      stats.push({
        layer: i / 2 + 1,
        mean: a.mean().item(),
        std: a.std().item(),
        deadShare: 1 - everPositive.mean().item(),
        zeroGradShare: 1 - everGrad.mean().item(),
        negativeShare: a.lt(0).to('float32').mean().item(),
      });
      h = a;
    }
  });
  // Gradient norms at init: one backward pass of the cross-entropy on the same batch.
  const loss = tn.nn.functional.crossEntropy(model.forward(x), y);
  loss.backward();
  const grads = kernels(model).map(([, w]) => w.grad!.square().sum().sqrt().item());
  return stats.map((s, i) => ({ ...s, gradNorm: grads[i] as number }));
}

const summary = (s: LayerStats[]) => {
  const last = s.at(-1)!;
  // Layers 2.. only: the first layer's fan-in (the input features) differs, and so does its gradient's size.
  const norms = s.slice(1).map((l) => l.gradNorm);
  return {
    lastMean: last.mean,
    lastStd: last.std,
    maxStdError: Math.max(...s.map((l) => Math.abs(l.std - 1))),
    deadShareMean: s.reduce((a, l) => a + l.deadShare, 0) / s.length,
    zeroGradShareMean: s.reduce((a, l) => a + l.zeroGradShare, 0) / s.length,
    negativeShareMean: s.reduce((a, l) => a + l.negativeShare, 0) / s.length,
    gradNormRatio: Math.max(...norms) / Math.min(...norms),
    gradFirstOverLast: (norms[0] as number) / (norms.at(-1) as number),
  };
};

export const q3: Question<Q3Config> = {
  id: 3,
  slug: 'selu-vs-relu',
  title: 'SELU vs ReLU through a deep net',
  question: 'Name three advantages of the SELU activation function over ReLU.',
  configs: {
    full: { depth: 20, width: 100, batch: 2000 },
    quick: { depth: 20, width: 100, batch: 500 },
    tiny: { depth: 20, width: 100, batch: 256 },
  },
  async run(ctx, cfg): Promise<Answer> {
    const selu = profile(ctx, cfg, 'selu');
    const relu = profile(ctx, cfg, 'relu');
    const S = summary(selu);
    const R = summary(relu);
    const conclusions = [
      S.maxStdError < R.maxStdError
        ? `1. Self-normalization: with lecun_normal on standardized input, SELU's outputs keep std ${fmt(S.lastStd)} and ` +
          `mean ${fmt(S.lastMean)} at layer ${cfg.depth} (largest |std - 1| over the layers ${fmt(S.maxStdError)}), vs ` +
          `ReLU+he_normal's std ${fmt(R.lastStd)} and mean ${fmt(R.lastMean)} (largest |std - 1| ${fmt(R.maxStdError)}).`
        : `1. Self-normalization did not show here: largest |std - 1| ${fmt(S.maxStdError)} (SELU) vs ${fmt(R.maxStdError)} (ReLU).`,
      S.zeroGradShareMean < R.zeroGradShareMean
        ? `2. No dead units: a ReLU unit that is never positive on the batch has zero gradient (${pct(R.zeroGradShareMean, 2)} of ` +
          `ReLU units per layer on average, up to ${pct(Math.max(...relu.map((l) => l.zeroGradShare)), 2)}), while SELU's gradient ` +
          `is never 0 (${pct(S.zeroGradShareMean, 2)} of units with zero gradient` +
          (S.deadShareMean > 0
            ? `, even though ${pct(S.deadShareMean, 2)} are never positive).`
            : `; none is never positive).`)
        : `2. Dead units: ${pct(R.zeroGradShareMean, 2)} of ReLU units vs ${pct(S.zeroGradShareMean, 2)} of SELU units had zero gradient on the whole batch (no advantage here).`,
      S.negativeShareMean > 0 && Math.abs(S.lastMean) < Math.abs(R.lastMean)
        ? `3. Negative outputs: ${pct(S.negativeShareMean)} of SELU outputs are negative (ReLU: ${pct(R.negativeShareMean)}), ` +
          `so the average output stays near 0 (${fmt(S.lastMean)} vs ReLU's ${fmt(R.lastMean)} at layer ${cfg.depth}), which speeds up learning downstream.`
        : `3. Negative outputs: ${pct(S.negativeShareMean)} (SELU) vs ${pct(R.negativeShareMean)} (ReLU); means ${fmt(S.lastMean)} vs ${fmt(R.lastMean)}.`,
      `Gradients at init: the largest/smallest kernel-gradient norm over layers 2-${cfg.depth} is ${fmt(S.gradNormRatio)} with SELU ` +
        `vs ${fmt(R.gradNormRatio)} with ReLU (layer 2 / layer ${cfg.depth} ${fmt(S.gradFirstOverLast)} vs ${fmt(R.gradFirstOverLast)}): ` +
        `${S.gradNormRatio < R.gradNormRatio ? 'SELU keeps the gradients more even across depth' : 'ReLU was the more even here'}.`,
    ];
    const row = (name: string, l: LayerStats) => [
      name,
      l.layer,
      fmt(l.mean),
      fmt(l.std),
      pct(l.deadShare),
      pct(l.zeroGradShare),
      pct(l.negativeShare),
      fmt(l.gradNorm),
    ];
    return {
      numbers: { selu, relu, summary: { selu: S, relu: R } },
      tables: [
        {
          title: `Per layer at init, on ${Math.min(cfg.batch, ctx.data.train.x.shape[0] as number)} training examples`,
          columns: [
            'activation',
            'layer',
            'mean',
            'std',
            'never positive',
            'zero gradient',
            'negative outputs',
            'kernel grad norm',
          ],
          rows: selu.flatMap((l, i) => [row('SELU', l), row('ReLU', relu[i]!)]),
        },
      ],
      conclusions,
    };
  },
};
