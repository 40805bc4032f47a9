// Runs the questions in order on one dataset and collects a report.
import * as os from 'node:os';
import * as tn from '../index';
import { cifar10, findCifar10, synthetic } from './data';
import { q1 } from './q1-same-init';
import { q2 } from './q2-bias-init';
import { q3 } from './q3-selu-vs-relu';
import { q4 } from './q4-activations';
import { q5 } from './q5-momentum';
import { q6 } from './q6-sparsity';
import { q7 } from './q7-dropout-cost';
import type { Question, QuestionData, QuestionResult, Size } from './types';

export const QUESTIONS: readonly Question[] = [q1, q2, q3, q4, q5, q6, q7] as unknown as Question[];

/** Examples loaded per size: the questions take subsets of these. */
export const DATA_SIZES: Record<Size, { train: number; test: number; syntheticFeatures: number }> = {
  full: { train: 10000, test: 2000, syntheticFeatures: 512 },
  quick: { train: 3000, test: 1000, syntheticFeatures: 512 },
  tiny: { train: 512, test: 256, syntheticFeatures: 64 },
};

export interface RunOptions {
  /** Question numbers (default all). */
  only?: readonly number[];
  size?: Size;
  /** A CIFAR-10 folder; without it one is looked for (see findCifar10), else synthetic data is used. */
  dataDir?: string;
  /** Use the synthetic data even when CIFAR-10 is found. */
  synthetic?: boolean;
  /** Prepared data (tests): wins over dataDir/synthetic. */
  data?: QuestionData;
  seed?: number;
  log?: (message: string) => void;
}

export interface Report {
  torchnode: string;
  libtorch: string;
  node: string;
  threads: { torch: number; cpus: number };
  seed: number;
  size: Size;
  dataset: {
    name: QuestionData['name'];
    description: string;
    features: number;
    classes: number;
    train: number;
    test: number;
  };
  startedAt: string;
  seconds: number;
  questions: QuestionResult[];
}

export function parseOnly(text: string): number[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (ids.length === 0) throw new Error('--only: give question numbers like 3,5');
  return ids.map((s) => {
    const id = Number(s);
    if (!Number.isInteger(id) || !QUESTIONS.some((q) => q.id === id)) {
      throw new Error(
        `--only: there is no question '${s}' (the questions are ${QUESTIONS.map((q) => q.id).join(', ')})`,
      );
    }
    return id;
  });
}

export async function loadQuestionData(
  options: RunOptions,
  size: Size,
  log: (m: string) => void,
): Promise<QuestionData> {
  if (options.data) return options.data;
  const n = DATA_SIZES[size];
  const seed = options.seed ?? 42;
  if (!options.synthetic) {
    const dir = options.dataDir ?? findCifar10();
    if (dir !== undefined) {
      log(`questions: loading CIFAR-10 from ${dir}`);
      return cifar10(dir, n.train, n.test);
    }
    log('questions: no CIFAR-10 copy found ($TORCHNODE_CIFAR10_DIR, ../shared/cifar10): using synthetic data');
  }
  return synthetic({ train: n.train, test: n.test, features: n.syntheticFeatures, separation: 4, seed });
}

export async function runQuestions(options: RunOptions = {}): Promise<Report> {
  const size = options.size ?? 'full';
  const seed = options.seed ?? 42;
  const log = options.log ?? (() => {});
  const only = options.only ?? QUESTIONS.map((q) => q.id);
  const selected = QUESTIONS.filter((q) => only.includes(q.id));
  const startedAt = new Date();
  const start = process.hrtime.bigint();
  const data = await loadQuestionData(options, size, log);
  const results: QuestionResult[] = [];
  for (const q of selected) {
    log(`questions: ${q.id}. ${q.title} ...`);
    const config = q.configs[size];
    const t0 = process.hrtime.bigint();
    const answer = await q.run({ data, seed, log }, config);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    log(`questions: ${q.id} done in ${seconds.toFixed(1)} s`);
    results.push({ id: q.id, slug: q.slug, title: q.title, question: q.question, size, config, seconds, ...answer });
  }
  return {
    torchnode: tn.version.torchnode,
    libtorch: tn.version.libtorch,
    node: process.version,
    threads: { torch: tn.getNumThreads(), cpus: os.availableParallelism() },
    seed,
    size,
    dataset: {
      name: data.name,
      description: data.description,
      features: data.features,
      classes: data.classes,
      train: data.train.x.shape[0] as number,
      test: data.test.x.shape[0] as number,
    },
    startedAt: startedAt.toISOString(),
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    questions: results,
  };
}
