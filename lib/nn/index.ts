// tn.nn: layers, Sequential, initializers, functional.
export { Module } from './module';
export type { ModuleConfig } from './module';
export { Linear, ELU, SELU, ReLU, LeakyReLU, Tanh, Sigmoid, BatchNorm1d, Dropout, AlphaDropout } from './layers';
export type { LinearOptions, BatchNorm1dOptions } from './layers';
export { Sequential } from './sequential';
export { fromConfig } from './config';
export type { Initializer, InitializerName } from './init';
export * as functional from './functional';
