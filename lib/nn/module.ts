// Module: the base of every layer. The layer itself lives in C++ (native/module.cc); this class gives
// it a typed surface and a JSON-able config, from which `fromConfig` rebuilds the architecture.
import { native, type NativeTensor } from '../native';
import { Tensor, describeType } from '../tensor';
import type { Device } from '../dtype';

/** @internal The native module handle (native/module.cc). */
export interface NativeModule {
  forward(input: NativeTensor): NativeTensor;
  train(mode: boolean): void;
  isTraining(): boolean;
  to(device: string): void;
  namedParameters(): [string, NativeTensor][];
  namedBuffers(): [string, NativeTensor][];
  loadState(dict: Record<string, NativeTensor>): void;
  parameterCount(): number;
  kind(): string;
}

/** @internal */
export const NativeModuleClass = native.NativeModule as new (kind: string, options: object) => NativeModule;

/** A module's architecture as plain data: `{ type: 'Linear', inFeatures: 3072, outFeatures: 100, ... }`. */
export interface ModuleConfig {
  type: string;
  [option: string]: unknown;
}

export abstract class Module {
  /** @internal */
  readonly native: NativeModule;

  /** @internal */
  protected constructor(kind: string, options: object) {
    this.native = new NativeModuleClass(kind, options);
  }

  /** The architecture as JSON-able data (weights not included); `nn.fromConfig` rebuilds it. */
  abstract get config(): ModuleConfig;

  /** Applies the module in its current mode (see `train()` / `eval()`). */
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) {
      throw new TypeError(`forward: input must be a Tensor, got ${describeType(input)}`);
    }
    return new Tensor(this.native.forward(input.native));
  }

  /** Training mode (dropout active, batch norm on batch statistics) or not. Returns this. */
  train(mode = true): this {
    this.native.train(mode);
    return this;
  }

  /** Inference mode: same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  get training(): boolean {
    return this.native.isTraining();
  }

  /** Moves parameters and buffers in place. Returns this. */
  to(device: Device): this {
    this.native.to(device);
    return this;
  }

  /** Trainable tensors, in registration order (new handles onto the module's own storage). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** `[name, tensor]` pairs with PyTorch's names: '0.weight', '0.bias', ... */
  namedParameters(): [string, Tensor][] {
    return this.native.namedParameters().map(([name, t]) => [name, new Tensor(t)]);
  }

  /** Non-trainable state, such as batch norm's running statistics: '1.running_mean', ... */
  namedBuffers(): [string, Tensor][] {
    return this.native.namedBuffers().map(([name, t]) => [name, new Tensor(t)]);
  }

  parameterCount(): number {
    return this.native.parameterCount();
  }

  /** Parameters and buffers by name (handles onto the live tensors, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into the module. Every key must be present with the module's shape, and no other key
   * may be: otherwise an Error names the key (and both shapes), and nothing is changed.
   */
  loadStateDict(dict: Record<string, Tensor>): void {
    if (typeof dict !== 'object' || dict === null) {
      throw new TypeError(`loadStateDict: expected an object of Tensors, got ${describeType(dict)}`);
    }
    const handles: Record<string, NativeTensor> = {};
    for (const [name, t] of Object.entries(dict)) {
      if (!(t instanceof Tensor))
        throw new TypeError(`loadStateDict: '${name}' must be a Tensor, got ${describeType(t)}`);
      handles[name] = t.native;
    }
    this.native.loadState(handles);
  }
}
