// Datasets and the preprocessing the exercise needs. Add to lib/index.ts:
//   export { datasets, split, scale, fitStandardization, standardize, ... } from './data';
import * as cifar10 from './cifar10';

export const datasets = { cifar10 } as const;

export type { Cifar10, LoadOptions, Layout, Split, Source, DownloadProgress } from './cifar10';
export {
  split,
  scale,
  fitStandardization,
  standardize,
  checkStandardization,
  standardizationToTensors,
  standardizationFromTensors,
} from './transforms';
export type { SplitOptions, Standardization } from './transforms';
