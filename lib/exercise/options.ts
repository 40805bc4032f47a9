// The exercise's options: defaults from DESIGN.md, --quick's smaller job, and the config file (its keys mirror
// the command-line flags, camelCased: { "variants": ["elu", "bn"], "epochs": 100, "batchSize": 32, ... }).
import * as fs from 'node:fs';
import type { Device } from '../dtype';
import { VARIANT_NAMES, type VariantConfig, type VariantName } from './variants';

export interface ExerciseOptions {
  variants: VariantName[];
  /** Most epochs of the final training of each variant. */
  epochs: number;
  /** Early stopping on val_loss, best weights restored. */
  patience: number;
  batchSize: number;
  /** Skip the LR search and use this rate for every variant. */
  lr?: number;
  device: Device | 'auto';
  seed: number;
  dataDir?: string;
  out: string;
  quick: boolean;
  resume: boolean;
  mcSamples: number;
  /** The first N training images are the validation set. */
  validation: number;
  /** Train on the first N of the remaining images only (--quick: 5,000). */
  trainLimit?: number;
  testLimit?: number;
  /** LR range test: exponential ramp from `start` to `end` over `epochs` epochs. */
  rangeStart: number;
  rangeEnd: number;
  rangeEpochs: number;
  /** The sweep around the suggestion: `sweepCandidates` rates a factor `sweepFactor` apart, `sweepEpochs` each. */
  sweepCandidates: number;
  sweepFactor: number;
  sweepEpochs: number;
  /** Candidates whose best val_loss is within this fraction of the lowest count as tied: the largest wins. */
  sweepTolerance: number;
  /** Per-variant changes to the table in variants.ts, e.g. { "elu": { "input": "scaled" } }. */
  variantOverrides?: Partial<Record<VariantName, Partial<Omit<VariantConfig, 'name'>>>>;
}

export const DEFAULTS: ExerciseOptions = {
  variants: [...VARIANT_NAMES],
  epochs: 100,
  patience: 20,
  batchSize: 32,
  device: 'cpu',
  seed: 42,
  out: 'torchnode-exercise',
  quick: false,
  resume: false,
  mcSamples: 10,
  validation: 5000,
  rangeStart: 1e-6,
  rangeEnd: 1,
  rangeEpochs: 1,
  sweepCandidates: 5,
  sweepFactor: 3,
  sweepEpochs: 3,
  sweepTolerance: 0.005,
};

/** What --quick changes (unless given explicitly): a 5,000-image training subset, 1,000 validation and
 *  2,000 test images, 6 epochs, a one-epoch sweep. */
export const QUICK: Partial<ExerciseOptions> = {
  trainLimit: 5000,
  validation: 1000,
  testLimit: 2000,
  epochs: 6,
  sweepEpochs: 1,
};

const KEYS = new Set(Object.keys(DEFAULTS).concat(['lr', 'dataDir', 'trainLimit', 'testLimit', 'variantOverrides']));

export function readConfigFile(file: string): Partial<ExerciseOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`config file ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config file ${file}: expected a JSON object whose keys mirror the flags`);
  }
  for (const key of Object.keys(parsed)) {
    if (!KEYS.has(key)) throw new Error(`config file ${file}: unknown key '${key}' (known: ${[...KEYS].join(', ')})`);
  }
  return parsed as Partial<ExerciseOptions>;
}

function positiveInt(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new Error(`${name} must be a positive integer, got ${String(value)}`);
  return value as number;
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new Error(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/** Defaults < --quick's < config file < flags. Checks every value. */
export function resolveOptions(
  fromFile: Partial<ExerciseOptions>,
  fromFlags: Partial<ExerciseOptions>,
): ExerciseOptions {
  const quick = fromFlags.quick ?? fromFile.quick ?? false;
  const o: ExerciseOptions = { ...DEFAULTS, ...(quick ? QUICK : {}), ...fromFile, ...fromFlags, quick };
  const variants = typeof o.variants === 'string' ? (o.variants as string).split(',') : o.variants;
  if (!Array.isArray(variants) || variants.length === 0) throw new Error('variants: name at least one variant');
  for (const v of variants) {
    if (!(VARIANT_NAMES as readonly string[]).includes(v))
      throw new Error(`unknown variant '${v}'; the variants are ${VARIANT_NAMES.join(', ')}`);
  }
  o.variants = VARIANT_NAMES.filter((v) => (variants as string[]).includes(v)); // run order: elu first
  for (const k of [
    'epochs',
    'patience',
    'batchSize',
    'mcSamples',
    'validation',
    'rangeEpochs',
    'sweepCandidates',
    'sweepEpochs',
  ] as const) {
    positiveInt(k, o[k]);
  }
  if (!Number.isInteger(o.seed)) throw new Error(`seed must be an integer, got ${String(o.seed)}`);
  if (o.trainLimit !== undefined) positiveInt('trainLimit', o.trainLimit);
  if (o.testLimit !== undefined) positiveInt('testLimit', o.testLimit);
  if (o.lr !== undefined) positive('lr', o.lr);
  positive('rangeStart', o.rangeStart);
  positive('rangeEnd', o.rangeEnd);
  positive('sweepFactor', o.sweepFactor);
  if (typeof o.sweepTolerance !== 'number' || !(o.sweepTolerance >= 0) || !Number.isFinite(o.sweepTolerance)) {
    throw new Error(`sweepTolerance must be a number >= 0, got ${String(o.sweepTolerance)}`);
  }
  if (o.rangeEnd <= o.rangeStart) throw new Error('rangeEnd must be above rangeStart');
  return o;
}
