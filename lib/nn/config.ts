// Rebuilds a module from its config (as saved in a model file's metadata).
import { Module, type ModuleConfig } from './module';
import { AlphaDropout, BatchNorm1d, Dropout, ELU, LeakyReLU, Linear, ReLU, SELU, Sigmoid, Tanh } from './layers';
import { Sequential } from './sequential';
import type { Initializer } from './init';

type Builder = (config: ModuleConfig) => Module;

const num = (config: ModuleConfig, key: string): number => {
  const v = config[key];
  if (typeof v !== 'number')
    throw new Error(`fromConfig: ${config.type}.${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
};
const optionalNum = (config: ModuleConfig, key: string): number | undefined =>
  config[key] === undefined ? undefined : num(config, key);

const builders: Record<string, Builder> = {
  Linear: (c) =>
    new Linear(num(c, 'inFeatures'), num(c, 'outFeatures'), {
      bias: c.bias !== false,
      kernelInitializer: c.kernelInitializer as Initializer | undefined,
      biasInitializer: c.biasInitializer as Initializer | undefined,
    }),
  ELU: (c) => new ELU({ alpha: optionalNum(c, 'alpha') }),
  SELU: () => new SELU(),
  ReLU: () => new ReLU(),
  LeakyReLU: (c) => new LeakyReLU({ negativeSlope: optionalNum(c, 'negativeSlope') }),
  Tanh: () => new Tanh(),
  Sigmoid: () => new Sigmoid(),
  BatchNorm1d: (c) =>
    new BatchNorm1d(num(c, 'numFeatures'), { eps: optionalNum(c, 'eps'), momentum: optionalNum(c, 'momentum') }),
  Dropout: (c) => new Dropout(num(c, 'p')),
  AlphaDropout: (c) => new AlphaDropout(num(c, 'p')),
  Sequential: (c) => {
    if (!Array.isArray(c.layers)) throw new Error('fromConfig: Sequential.layers must be an array');
    return new Sequential((c.layers as ModuleConfig[]).map(fromConfig));
  },
};

/** A freshly initialized module with the architecture `config` describes. */
export function fromConfig(config: ModuleConfig): Module {
  if (typeof config !== 'object' || config === null || typeof config.type !== 'string') {
    throw new Error(`fromConfig: expected { type: ... }, got ${JSON.stringify(config)}`);
  }
  const build = builders[config.type];
  if (!build) throw new Error(`fromConfig: unknown module type '${config.type}'`);
  return build(config);
}
