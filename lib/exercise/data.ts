// The exercise's data: CIFAR-10 as uint8 HWC images, validation = the first images of the training set,
// and the input transform of each variant (applied per batch by the training engine).
import { datasets } from '../data';
import { fitStandardization, type Standardization } from '../data/transforms';
import { Tensor, tensor } from '../tensor';
import type { Dataset, InputTransform } from '../train/types';
import type { InputMode } from './variants';

export interface ExerciseData {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  classes: string[];
  source: string;
}

export interface DataOptions {
  dataDir?: string;
  /** Validation images: the first ones of the training set (default 5,000). */
  validation: number;
  /** Keep only the first N of the remaining training images (the --quick subset). */
  trainLimit?: number;
  /** Keep only the first N test images. */
  testLimit?: number;
}

function head(d: Dataset, n: number | undefined): Dataset {
  const rows = d.x.shape[0] as number;
  if (n === undefined || n >= rows) return d;
  return { x: d.x.narrow(0, 0, n), y: d.y.narrow(0, 0, n) };
}

export async function loadData(options: DataOptions): Promise<ExerciseData> {
  const cifar = await datasets.cifar10.load({ dir: options.dataDir, download: false });
  const n = cifar.train.x.shape[0] as number;
  const v = options.validation;
  if (!Number.isInteger(v) || v < 1 || v >= n)
    throw new Error(`validation must be from 1 to ${n - 1} images, got ${v}`);
  const validation = { x: cifar.train.x.narrow(0, 0, v), y: cifar.train.y.narrow(0, 0, v) };
  const train = head(
    { x: cifar.train.x.narrow(0, v, n - v), y: cifar.train.y.narrow(0, v, n - v) },
    options.trainLimit,
  );
  return {
    train,
    validation,
    test: head(cifar.test, options.testLimit),
    classes: cifar.classes,
    source: cifar.source.dir,
  };
}

/** What a saved model needs to turn raw uint8 pixels into its inputs. */
export interface InputSpec {
  mode: InputMode;
  scale: number;
  /** Per-feature statistics (of the scaled pixels) for 'standardized'. */
  standardization?: Standardization;
}

export function inputSpec(mode: InputMode, train: Tensor): InputSpec {
  if (mode === 'raw') return { mode, scale: 1 };
  if (mode === 'scaled') return { mode, scale: 1 / 255 };
  return { mode, scale: 1, standardization: fitStandardization(train) };
}

/** The training engine's per-batch transform for an InputSpec (flattening HWC images to 3,072 features). */
export function inputTransform(spec: InputSpec): InputTransform {
  const s = spec.standardization;
  if (!s) return { scale: spec.scale };
  const features = s.mean.length;
  return {
    scale: spec.scale,
    mean: tensor(Float32Array.from(s.mean), { shape: [features] }),
    std: tensor(Float32Array.from(s.std), { shape: [features] }),
  };
}

/** The same transform applied eagerly (for running the layers one by one). */
export function applyTransform(x: Tensor, transform: InputTransform): Tensor {
  const n = x.shape[0] as number;
  const flat = x.reshape([n, x.size / n]);
  let out = flat.to('float32');
  flat.dispose();
  const step = (next: Tensor): void => {
    out.dispose();
    out = next;
  };
  if (transform.scale !== undefined && transform.scale !== 1) step(out.mul(transform.scale));
  if (transform.mean) step(out.sub(transform.mean));
  if (transform.std) step(out.div(transform.std));
  return out;
}
