// Losses and activations as functions of tensors.
import { native, type NativeTensor } from '../native';
import { Tensor, describeType } from '../tensor';

interface FunctionalBinding {
  crossEntropy(logits: NativeTensor, targets: NativeTensor): NativeTensor;
  softmax(input: NativeTensor, dim: number): NativeTensor;
  logSoftmax(input: NativeTensor, dim: number): NativeTensor;
  mseLoss(input: NativeTensor, target: NativeTensor): NativeTensor;
  binaryCrossEntropyWithLogits(input: NativeTensor, target: NativeTensor): NativeTensor;
}

const binding = native as unknown as FunctionalBinding;

function handle(op: string, name: string, value: unknown): NativeTensor {
  if (value instanceof Tensor) return value.native;
  throw new TypeError(`${op}: ${name} must be a Tensor, got ${describeType(value)}`);
}

/** Mean cross-entropy of logits [N, C] against int64 class indices [N]. */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  return new Tensor(
    binding.crossEntropy(handle('crossEntropy', 'logits', logits), handle('crossEntropy', 'targets', targets)),
  );
}

export function softmax(input: Tensor, dim = -1): Tensor {
  return new Tensor(binding.softmax(handle('softmax', 'input', input), dim));
}

export function logSoftmax(input: Tensor, dim = -1): Tensor {
  return new Tensor(binding.logSoftmax(handle('logSoftmax', 'input', input), dim));
}

export function mseLoss(input: Tensor, target: Tensor): Tensor {
  return new Tensor(binding.mseLoss(handle('mseLoss', 'input', input), handle('mseLoss', 'target', target)));
}

/** Mean binary cross-entropy of logits against targets in [0, 1] (the logistic head's loss). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor): Tensor {
  return new Tensor(
    binding.binaryCrossEntropyWithLogits(
      handle('binaryCrossEntropyWithLogits', 'input', input),
      handle('binaryCrossEntropyWithLogits', 'target', target),
    ),
  );
}

/** Share of rows whose argmax equals the target class (a number in [0, 1]). */
export function accuracy(logits: Tensor, targets: Tensor): number {
  using predicted = logits.argmax({ dim: 1 });
  using hits = predicted.eq(targets);
  using mean = hits.to('float32').mean();
  return mean.item();
}
