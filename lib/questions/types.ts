// The shapes every question shares: a question is data (what to train, what to measure, in three sizes)
// plus a run function that returns numbers, tables built from them, and conclusions computed from them.
import type { Dataset } from '../train/types';

/** The data the questions train on, already standardized (float32 [N, features], int64 labels [N]). */
export interface QuestionData {
  /** 'cifar10' (the real images, flattened and standardized) or 'synthetic' (see data.ts). */
  name: 'cifar10' | 'synthetic';
  /** One sentence: what the data is and how it was prepared. */
  description: string;
  train: Dataset;
  test: Dataset;
  features: number;
  classes: number;
}

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

/** The three sizes of every experiment: `full` (default, < ~1 min), `quick` (seconds), `tiny` (tests). */
export type Size = 'full' | 'quick' | 'tiny';

export interface Context {
  data: QuestionData;
  seed: number;
  /** Progress lines (to stderr in the CLI). */
  log: (message: string) => void;
}

export interface Answer {
  /** Every number measured, JSON-able. */
  numbers: Record<string, unknown>;
  tables: Table[];
  /** Sentences computed from the numbers. */
  conclusions: string[];
}

export interface Question<C extends object = object> {
  id: number;
  slug: string;
  title: string;
  /** The exercise's question, as asked. */
  question: string;
  /** What is trained and measured, per size. */
  configs: Record<Size, C>;
  run(context: Context, config: C): Promise<Answer>;
}

export interface QuestionResult extends Answer {
  id: number;
  slug: string;
  title: string;
  question: string;
  size: Size;
  config: object;
  seconds: number;
}
