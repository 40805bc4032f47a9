// The data behind the questions: real CIFAR-10 when a copy is found (never downloaded from here), else a
// synthetic Gaussian mixture of the same kind (10 classes, standardized features).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tn from '../index';
import { packageRoot } from '../native';
import type { QuestionData } from './types';

export interface SyntheticOptions {
  train: number;
  test: number;
  /** Default 3,072, CIFAR-10's. */
  features?: number;
  classes?: number;
  /** Distance between class centres in units of the noise std (default 2.5). */
  separation?: number;
  seed?: number;
}

/**
 * A 10-class Gaussian mixture: class centres mu_c ~ N(0, s^2 I) with s = separation / sqrt(2 features), so
 * that two centres lie about `separation` noise-stds apart; x = mu_y + N(0, I), labels uniform; then
 * standardized with the training statistics. Hard enough that an MLP lands well short of 100 %.
 */
export function synthetic(options: SyntheticOptions): QuestionData {
  const features = options.features ?? 3072;
  const classes = options.classes ?? 10;
  const separation = options.separation ?? 2.5;
  tn.manualSeed(options.seed ?? 0);
  const centres = tn.randn([classes, features]).mul(separation / Math.sqrt(2 * features));
  const make = (n: number): { x: tn.Tensor; y: tn.Tensor } => {
    const y = tn.rand([n]).mul(classes).to('int64');
    const x = centres.index(y).add(tn.randn([n, features]));
    return { x, y };
  };
  const train = make(options.train);
  const test = make(options.test);
  const stats = tn.data.fitStandardization(train.x);
  return {
    name: 'synthetic',
    description:
      `synthetic ${classes}-class Gaussian mixture, ${features} features, centres ~${separation} noise-stds ` +
      `apart, ${options.train} train / ${options.test} test examples, standardized with the training statistics`,
    train: { x: tn.data.standardize(train.x, stats), y: train.y },
    test: { x: tn.data.standardize(test.x, stats), y: test.y },
    features,
    classes,
  };
}

/** Where a CIFAR-10 copy may be: $TORCHNODE_CIFAR10_DIR, then ../shared/cifar10 beside the package or cwd. */
export function findCifar10(): string | undefined {
  const candidates = [
    process.env.TORCHNODE_CIFAR10_DIR,
    path.join(packageRoot, '..', 'shared', 'cifar10'),
    path.join(process.cwd(), '..', 'shared', 'cifar10'),
  ];
  for (const dir of candidates) {
    if (!dir) continue;
    for (const folder of [dir, path.join(dir, 'cifar-10-batches-bin')]) {
      if (fs.existsSync(path.join(folder, 'data_batch_1.bin'))) return folder;
    }
  }
  return undefined;
}

/**
 * The first `train` images of the training set and the first `test` of the test set, flattened (HWC),
 * scaled and standardized per feature with the training subset's statistics.
 */
export async function cifar10(dir: string, train: number, test: number): Promise<QuestionData> {
  const data = await tn.datasets.cifar10.load({ dir, download: false, layout: 'flat' });
  const xTrain = data.train.x.narrow(0, 0, Math.min(train, data.train.x.shape[0] as number));
  const xTest = data.test.x.narrow(0, 0, Math.min(test, data.test.x.shape[0] as number));
  const stats = tn.data.fitStandardization(xTrain);
  const result: QuestionData = {
    name: 'cifar10',
    description:
      `CIFAR-10 (${data.source.dir}): the first ${xTrain.shape[0]} training images and the first ` +
      `${xTest.shape[0]} test images, flattened to 3,072 features and standardized with the training subset's statistics`,
    train: { x: tn.data.standardize(xTrain, stats), y: data.train.y.narrow(0, 0, xTrain.shape[0] as number).clone() },
    test: { x: tn.data.standardize(xTest, stats), y: data.test.y.narrow(0, 0, xTest.shape[0] as number).clone() },
    features: 3072,
    classes: 10,
  };
  for (const t of [data.train.x, data.train.y, data.test.x, data.test.y]) t.dispose();
  return result;
}
