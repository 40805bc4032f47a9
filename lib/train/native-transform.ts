// Options objects as native/batches.cc reads them.
import type { NativeTensor } from '../native';
import type { InputTransform } from './types';

/** @internal */
export interface NativeInputTransform {
  scale?: number;
  mean?: NativeTensor;
  std?: NativeTensor;
  flatten?: boolean;
}

/** @internal */
export function nativeTransform(transform: InputTransform | undefined): NativeInputTransform | undefined {
  if (!transform) return undefined;
  return {
    scale: transform.scale,
    mean: transform.mean?.native,
    std: transform.std?.native,
    flatten: transform.flatten,
  };
}
