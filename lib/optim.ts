// Optimizers: typed facades over native optimizers (native/optimizer.cc). NAdam is torchnode's own C++
// optimizer (native/nadam.cc); Adam and SGD are libtorch's.
import { native, type NativeTensor } from './native';
import { Tensor, describeType } from './tensor';

/** @internal The native optimizer handle (native/optimizer.h). */
export interface NativeOptimizer {
  step(): void;
  zeroGrad(): void;
  getLr(): number;
  setLr(lr: number): void;
  kind(): OptimizerKind;
  stateDict(): Record<string, NativeTensor>;
  loadStateDict(dict: Record<string, NativeTensor>): void;
}

interface OptimBinding {
  NativeOptimizer: new (kind: OptimizerKind, params: NativeTensor[], options: object) => NativeOptimizer;
}

const binding = native as unknown as OptimBinding;

/** @internal */
export type OptimizerKind = 'nadam' | 'adam' | 'sgd';

export interface NAdamOptions {
  /** Learning rate. Default 2e-3. */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1). Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability. Default 1e-8. */
  eps?: number;
  /** psi of the momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)). Default 4e-3 (Keras' schedule_decay). */
  momentumDecay?: number;
  /** L2 penalty added to the gradient (weightDecay * param), as in PyTorch. Default 0. */
  weightDecay?: number;
}

export interface AdamOptions {
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment averages, each in [0, 1). Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator for numerical stability. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (weightDecay * param). Default 0. */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad?: boolean;
}

export interface SGDOptions {
  /** Learning rate (required: SGD has no sensible default). */
  lr: number;
  /** Momentum factor. Default 0 (plain SGD). */
  momentum?: number;
  /** Dampening of the momentum. Default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (weightDecay * param). Default 0. */
  weightDecay?: number;
}

function checkParams(name: string, params: unknown): Tensor[] {
  if (!Array.isArray(params)) {
    throw new TypeError(
      `${name}: params must be an array of Tensors (e.g. model.parameters()), got ${describeType(params)}`,
    );
  }
  params.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new TypeError(`${name}: params[${i}] must be a Tensor, got ${describeType(p)}`);
  });
  return [...(params as Tensor[])];
}

function checkOptions(name: string, options: unknown): object {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${name}: options must be an object, got ${describeType(options)}`);
  }
  return options;
}

/**
 * What every optimizer offers: `zeroGrad()`, `step()`, a readable and writable `lr`, and a state dict
 * that resumes training exactly.
 *
 * An optimizer keeps its own references to the parameter tensors: disposing a parameter's handle does not
 * stop it from being trained.
 */
export abstract class Optimizer {
  /** @internal */
  readonly native: NativeOptimizer;
  /** The parameters this optimizer updates, in the order given (the `<i>` of `state.<i>.*`). */
  readonly params: readonly Tensor[];

  /** @internal */
  protected constructor(kind: OptimizerKind, name: string, params: unknown, options: unknown) {
    this.params = Object.freeze(checkParams(name, params));
    this.native = new binding.NativeOptimizer(
      kind,
      this.params.map((p) => p.native),
      checkOptions(name, options),
    );
  }

  /** Drops every parameter's gradient (like PyTorch's `zero_grad(set_to_none=True)`): call it before `backward()`. */
  zeroGrad(): void {
    this.native.zeroGrad();
  }

  /** Updates every parameter that has a gradient, from that gradient. Parameters without one are left alone. */
  step(): void {
    this.native.step();
  }

  /** The learning rate used by the next `step()`. Settable between steps (a schedule, an LR search). */
  get lr(): number {
    return this.native.getLr();
  }

  set lr(value: number) {
    if (typeof value !== 'number') throw new TypeError(`lr must be a number, got ${describeType(value)}`);
    this.native.setLr(value);
  }

  /**
   * The optimizer's state as name → Tensor (copies, not live views): per parameter `state.<i>.<field>`
   * (`step`, `exp_avg`, … — absent for a parameter never stepped) and the hyperparameters as
   * `param_groups.0.<option>` (`lr`, `betas`, …). `loadStateDict` of it into an optimizer of the same kind
   * over parameters of the same shapes continues bit for bit.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, handle] of Object.entries(this.native.stateDict())) out[key] = new Tensor(handle);
    return out;
  }

  /**
   * Replaces the state and hyperparameters with those of `dict` (as made by `stateDict()`). The tensors are
   * copied. A missing or unexpected key, or a shape that does not fit, throws an Error naming the key (and both
   * shapes) and changes nothing.
   */
  loadStateDict(dict: Record<string, Tensor>): void {
    if (typeof dict !== 'object' || dict === null || Array.isArray(dict)) {
      throw new TypeError(`loadStateDict: the state dict must be an object of Tensors, got ${describeType(dict)}`);
    }
    const handles: Record<string, NativeTensor> = {};
    for (const [key, value] of Object.entries(dict)) {
      if (!(value instanceof Tensor)) {
        throw new TypeError(`loadStateDict: '${key}' must be a Tensor, got ${describeType(value)}`);
      }
      handles[key] = value.native;
    }
    this.native.loadStateDict(handles);
  }
}

/**
 * NAdam: Adam with Nesterov momentum (Dozat 2016), the rule of PyTorch >= 2.0 and tf.keras' Nadam:
 * mu_t = b1 (1 - 0.5 * 0.96^(t psi)), Pi_t = Pi_{t-1} mu_t; m, v as in Adam; d = sqrt(v / (1 - b2^t)) + eps;
 * theta -= lr (1 - mu_t) / (1 - Pi_t) * g / d + lr mu_{t+1} / (1 - Pi_t mu_{t+1}) * m / d.
 * Runs in C++, one fused pass over each parameter on the CPU.
 *
 * @example
 * const opt = new tn.optim.NAdam(model.parameters(), { lr: 5e-5 });
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export class NAdam extends Optimizer {
  constructor(params: Tensor[], options: NAdamOptions = {}) {
    super('nadam', 'NAdam', params, options);
  }
}

/** Adam (Kingma & Ba 2014), libtorch's implementation, with optional AMSGrad. */
export class Adam extends Optimizer {
  constructor(params: Tensor[], options: AdamOptions = {}) {
    super('adam', 'Adam', params, options);
  }
}

/** Stochastic gradient descent with optional (Nesterov) momentum, libtorch's implementation. */
export class SGD extends Optimizer {
  constructor(params: Tensor[], options: SGDOptions) {
    super('sgd', 'SGD', params, options);
  }
}
