// evaluate / predict / predictMC: inference off the event loop, in batches.
import { native, type NativeTensor } from '../native';
import { Module } from '../nn/module';
import { Tensor, describeType } from '../tensor';
import { whileBusy } from './busy';
import { nativeTransform } from './native-transform';
import type { Dataset, InferenceOptions } from './types';

interface InferenceBinding {
  evaluate(
    model: unknown,
    x: NativeTensor,
    y: NativeTensor,
    options: object,
  ): Promise<{ loss: number; accuracy: number }>;
  predict(model: unknown, x: NativeTensor, y: undefined, options: object): Promise<NativeTensor>;
  predictMC(
    model: unknown,
    x: NativeTensor,
    y: undefined,
    options: object,
  ): Promise<{ mean: NativeTensor; std: NativeTensor }>;
}

const binding = native as unknown as InferenceBinding;

function checkModel(op: string, model: unknown): asserts model is Module {
  if (!(model instanceof Module)) throw new TypeError(`${op}: model must be a Module, got ${describeType(model)}`);
}

function checkTensor(op: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describeType(value)}`);
}

function nativeOptions(options: InferenceOptions): object {
  return {
    batchSize: options.batchSize,
    inputTransform: nativeTransform(options.inputTransform),
    device: options.device,
  };
}

/** Mean cross-entropy and accuracy, in eval mode (the model's mode is restored after). */
export async function evaluate(
  model: Module,
  data: Dataset,
  options: InferenceOptions = {},
): Promise<{ loss: number; accuracy: number }> {
  checkModel('evaluate', model);
  checkTensor('evaluate', 'data.x', data?.x);
  checkTensor('evaluate', 'data.y', data?.y);
  return whileBusy(model, 'evaluate', () =>
    binding.evaluate(model.native, data.x.native, data.y.native, nativeOptions(options)),
  );
}

/** Class probabilities [N, classes] (softmax of the logits), in eval mode. */
export async function predict(model: Module, x: Tensor, options: InferenceOptions = {}): Promise<Tensor> {
  checkModel('predict', model);
  checkTensor('predict', 'x', x);
  const result = await whileBusy(model, 'predict', () =>
    binding.predict(model.native, x.native, undefined, nativeOptions(options)),
  );
  return new Tensor(result);
}

export interface MCOptions extends InferenceOptions {
  /** Stochastic passes per input. Default 10. */
  samples?: number;
}

/**
 * MC Dropout: `samples` stochastic passes with Dropout/AlphaDropout active and BatchNorm in eval,
 * done as one forward of each batch repeated `samples` times. Returns the mean and (population) std
 * of the class probabilities. A model without dropout gives one pass and a std of exactly 0.
 */
export async function predictMC(
  model: Module,
  x: Tensor,
  options: MCOptions = {},
): Promise<{ mean: Tensor; std: Tensor }> {
  checkModel('predictMC', model);
  checkTensor('predictMC', 'x', x);
  const samples = options.samples ?? 10;
  if (!Number.isInteger(samples) || samples < 1)
    throw new Error(`predictMC: samples must be a positive integer, got ${samples}`);
  const result = await whileBusy(model, 'predictMC', () =>
    binding.predictMC(model.native, x.native, undefined, { ...nativeOptions(options), samples }),
  );
  return { mean: new Tensor(result.mean), std: new Tensor(result.std) };
}
