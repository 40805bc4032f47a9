export { fit } from './fit';
export { evaluate, predict, predictMC } from './inference';
export type { MCOptions } from './inference';
export type * from './types';
