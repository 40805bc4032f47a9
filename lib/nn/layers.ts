// The layers: thin classes over torch::nn modules.
import { Module, type ModuleConfig } from './module';
import { type Initializer, nativeInitializer } from './init';

export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Default 'torch_default' (PyTorch's kaiming-uniform); the exercise uses 'he_normal' / 'lecun_normal'. */
  kernelInitializer?: Initializer;
  /** Default 'torch_default'; Keras uses 'zeros'. */
  biasInitializer?: Initializer;
}

/** y = x W^T + b, with W of shape [outFeatures, inFeatures]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly options: LinearOptions;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super('linear', {
      inFeatures,
      outFeatures,
      bias: options.bias,
      kernelInitializer: nativeInitializer(options.kernelInitializer),
      biasInitializer: nativeInitializer(options.biasInitializer),
    });
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.options = { ...options };
  }

  get config(): ModuleConfig {
    return {
      type: 'Linear',
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      ...this.options,
      bias: this.options.bias ?? true,
    };
  }
}

export class ELU extends Module {
  readonly alpha: number;

  constructor(options: { alpha?: number } = {}) {
    super('elu', options);
    this.alpha = options.alpha ?? 1;
  }

  get config(): ModuleConfig {
    return { type: 'ELU', alpha: this.alpha };
  }
}

/** Scaled ELU: self-normalizing with lecun_normal init and standardized inputs. */
export class SELU extends Module {
  constructor() {
    super('selu', {});
  }

  get config(): ModuleConfig {
    return { type: 'SELU' };
  }
}

export class ReLU extends Module {
  constructor() {
    super('relu', {});
  }

  get config(): ModuleConfig {
    return { type: 'ReLU' };
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(options: { negativeSlope?: number } = {}) {
    super('leaky_relu', options);
    this.negativeSlope = options.negativeSlope ?? 0.01;
  }

  get config(): ModuleConfig {
    return { type: 'LeakyReLU', negativeSlope: this.negativeSlope };
  }
}

export class Tanh extends Module {
  constructor() {
    super('tanh', {});
  }

  get config(): ModuleConfig {
    return { type: 'Tanh' };
  }
}

export class Sigmoid extends Module {
  constructor() {
    super('sigmoid', {});
  }

  get config(): ModuleConfig {
    return { type: 'Sigmoid' };
  }
}

export interface BatchNorm1dOptions {
  /** Default 1e-5 (PyTorch); Keras uses 1e-3. */
  eps?: number;
  /** Weight of the new batch in the running statistics: default 0.1 (PyTorch); Keras' momentum 0.99 is 0.01 here. */
  momentum?: number;
}

export class BatchNorm1d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;

  constructor(numFeatures: number, options: BatchNorm1dOptions = {}) {
    super('batchnorm1d', { numFeatures, ...options });
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
  }

  get config(): ModuleConfig {
    return { type: 'BatchNorm1d', numFeatures: this.numFeatures, eps: this.eps, momentum: this.momentum };
  }
}

/** Zeroes each element with probability p in training mode and scales the rest by 1/(1-p). */
export class Dropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super('dropout', { p });
    this.p = p;
  }

  get config(): ModuleConfig {
    return { type: 'Dropout', p: this.p };
  }
}

/** Dropout that keeps the mean and variance of standardized inputs (for SELU networks). */
export class AlphaDropout extends Module {
  readonly p: number;

  constructor(p = 0.5) {
    super('alpha_dropout', { p });
    this.p = p;
  }

  get config(): ModuleConfig {
    return { type: 'AlphaDropout', p: this.p };
  }
}
