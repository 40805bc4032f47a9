// The exercise's variants as data: one table, one builder. DESIGN.md "Exercise defaults" is the source.
import * as nn from '../nn';
import type { InitializerName } from '../nn/init';
import type { Module } from '../nn/module';

export type VariantName = 'elu' | 'bn' | 'selu' | 'alpha-dropout';

/** How the uint8 pixels reach the first layer: as they are (0..255), scaled to [0, 1], or standardized
 *  per feature with statistics of the training split (the reference solution's X_means / X_stds). */
export type InputMode = 'raw' | 'scaled' | 'standardized';

export interface VariantConfig {
  name: VariantName;
  description: string;
  hiddenLayers: number;
  units: number;
  kernelInitializer: InitializerName;
  activation: 'elu' | 'selu';
  /** BatchNorm1d on the input, then after every hidden Dense (before the activation). */
  batchNorm: boolean;
  /** AlphaDropout rate before the output layer (0: none). */
  alphaDropout: number;
  input: InputMode;
  /** Evaluate with MC Dropout after training (needs dropout in the model). */
  mcDropout: boolean;
  /** The reference solution's numbers, for the report. */
  reference: { lr: number; valAccuracy: number; mcAccuracy?: number };
}

const base = { hiddenLayers: 20, units: 100, batchNorm: false, alphaDropout: 0, mcDropout: false } as const;

/** The four variants of the exercise (order = run order; elu first: the others are compared with it). */
export const VARIANTS: readonly VariantConfig[] = [
  {
    ...base,
    name: 'elu',
    description: '20 x Dense(100), he_normal, ELU',
    kernelInitializer: 'he_normal',
    activation: 'elu',
    input: 'raw',
    reference: { lr: 5e-5, valAccuracy: 0.476 },
  },
  {
    ...base,
    name: 'bn',
    description: 'BN(input), then 20 x [Dense(100), BN, ELU], he_normal',
    kernelInitializer: 'he_normal',
    activation: 'elu',
    batchNorm: true,
    input: 'raw',
    reference: { lr: 5e-4, valAccuracy: 0.54 },
  },
  {
    ...base,
    name: 'selu',
    description: 'standardized input, 20 x Dense(100), lecun_normal, SELU',
    kernelInitializer: 'lecun_normal',
    activation: 'selu',
    input: 'standardized',
    reference: { lr: 7e-4, valAccuracy: 0.479 },
  },
  {
    ...base,
    name: 'alpha-dropout',
    description: 'selu + AlphaDropout(0.1) before the output; MC Dropout on the trained model',
    kernelInitializer: 'lecun_normal',
    activation: 'selu',
    input: 'standardized',
    alphaDropout: 0.1,
    mcDropout: true,
    reference: { lr: 5e-4, valAccuracy: 0.489, mcAccuracy: 0.489 },
  },
];

export const VARIANT_NAMES: readonly VariantName[] = VARIANTS.map((v) => v.name);

export function variantConfig(name: string, overrides: Partial<VariantConfig> = {}): VariantConfig {
  const found = VARIANTS.find((v) => v.name === name);
  if (!found) throw new Error(`unknown variant '${name}'; the variants are ${VARIANT_NAMES.join(', ')}`);
  return { ...found, ...overrides, name: found.name };
}

/** Keras BatchNormalization's defaults (momentum 0.99 there = 0.01 in PyTorch's convention). */
export const KERAS_BN = { eps: 1e-3, momentum: 0.01 } as const;

/** Builds the variant's model for `inputs` features and `classes` outputs (call tn.manualSeed first). */
export function buildModel(variant: VariantConfig, inputs = 3072, classes = 10): nn.Sequential {
  const layers: Module[] = [];
  if (variant.batchNorm) layers.push(new nn.BatchNorm1d(inputs, KERAS_BN));
  let width = inputs;
  for (let i = 0; i < variant.hiddenLayers; i++) {
    layers.push(
      new nn.Linear(width, variant.units, { kernelInitializer: variant.kernelInitializer, biasInitializer: 'zeros' }),
    );
    if (variant.batchNorm) layers.push(new nn.BatchNorm1d(variant.units, KERAS_BN));
    layers.push(variant.activation === 'selu' ? new nn.SELU() : new nn.ELU());
    width = variant.units;
  }
  if (variant.alphaDropout > 0) layers.push(new nn.AlphaDropout(variant.alphaDropout));
  layers.push(new nn.Linear(width, classes, { kernelInitializer: 'glorot_uniform', biasInitializer: 'zeros' }));
  return new nn.Sequential(layers);
}
