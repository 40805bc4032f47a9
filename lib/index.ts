// torchnode's public API. See README.md for the tour and ../shared/DESIGN.md for the contract.
export { Tensor, tensor, zeros, ones, full, randn, rand, arange, randperm, cat, tidy } from './tensor';
export type { TensorOptions, CreateOptions, ReduceOptions, NestedArray } from './tensor';
export type { DType, Device, TensorData, TypedArrayOf } from './dtype';
export { version, manualSeed, setNumThreads, getNumThreads, noGrad, isGradEnabled, cuda } from './runtime';
export * as nn from './nn';
export * as optim from './optim';
export { fit, evaluate, predict, predictMC } from './train';
export type * from './train/types';
export type { MCOptions } from './train';
export { save, load, loadModel, loadStateDict, saveCheckpoint, loadCheckpoint } from './io/model-file';
export type { SaveOptions, LoadedModel, CheckpointState } from './io/model-file';
export {
  encodeSafetensors,
  decodeSafetensors,
  readSafetensors,
  writeSafetensors,
  readSafetensorsHeader,
} from './io/safetensors';
export type { SafetensorsContents, SafetensorsHeader, SafetensorsTensorInfo, SafetensorsDType } from './io/safetensors';
export { writeFileAtomic } from './io/atomic-write';
export { datasets } from './data';
export * as data from './data';
