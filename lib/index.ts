// torchnode's public API. See README.md for the tour and ../shared/DESIGN.md for the contract.
export { Tensor, tensor, zeros, ones, full, randn, rand, arange, randperm, cat } from './tensor';
export type { TensorOptions, CreateOptions, ReduceOptions, NestedArray } from './tensor';
export type { DType, Device, TensorData, TypedArrayOf } from './dtype';
export { version, manualSeed, setNumThreads, getNumThreads, noGrad, isGradEnabled, cuda } from './runtime';
export * as nn from './nn';
export * as optim from './optim';
export { fit, evaluate, predict, predictMC } from './train';
export type * from './train/types';
export type { MCOptions } from './train';
