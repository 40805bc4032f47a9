// The exercise end to end: for each variant, LR search (range test + sweep), training with early stopping and
// a checkpoint per epoch, test evaluation, activation statistics, MC Dropout; then summary.json and the report.
// Everything a finished variant produced stays in --out/<variant>/; --resume continues where it stopped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { standardizationToTensors } from '../data/transforms';
import { loadCheckpoint, save, saveCheckpoint } from '../io/model-file';
import { writeFileAtomic } from '../io/atomic-write';
import { NAdam } from '../optim';
import { getNumThreads, manualSeed, version } from '../runtime';
import type { Tensor } from '../tensor';
import { evaluate, fit, predict, predictMC } from '../train';
import type { BatchProgress, EpochEnd, EpochLog, History, InputTransform, ResumeState } from '../train/types';
import {
  activationStats,
  comparisonRows,
  mcAnalysis,
  type ComparisonRow,
  type LayerStats,
  type McAnalysis,
} from './analysis';
import { answers, type Answers } from './answers';
import { inputSpec, inputTransform, loadData, type ExerciseData, type InputSpec } from './data';
import {
  COLLAPSED_EPOCHS,
  collapsed,
  rangeCurve,
  retryLr,
  suggestLr,
  sweepCandidates,
  sweepWinner,
  thin,
  type RangeSuggestion,
} from './lr-search';
import type { ExerciseOptions } from './options';
import { VARIANTS, buildModel, variantConfig, type VariantConfig, type VariantName } from './variants';
import { historyCsv } from '../report/csv';
import { writeReport } from '../report';

export type Phase = 'range-test' | 'sweep' | 'train';

export interface ExerciseHooks {
  signal?: AbortSignal;
  /** A phase starts: `epochs` and `batches` (per epoch) say how long it is. */
  onPhase?(e: { variant: VariantName; phase: Phase; label: string; epochs: number; batches: number }): void;
  onEpoch?(variant: VariantName, phase: Phase, log: EpochEnd): void;
  onBatch?(variant: VariantName, phase: Phase, progress: BatchProgress): void;
  /** One line of narration (variant done, LR chosen, skipped on resume, ...). */
  log?(line: string): void;
}

export interface SweepResult {
  lr: number;
  bestValLoss: number;
  diverged: boolean;
  epochs: EpochLog[];
}

export interface LrSearchResult {
  source: 'search' | 'flag';
  chosenLr: number;
  rangeTest?: { lrs: number[]; losses: number[]; smoothed: number[]; batches: number } & RangeSuggestion;
  sweep?: SweepResult[];
  seconds: number;
  /** Searched rates the final training gave up on: it fell to chance level (epoch collapsedAt: the last of
   *  COLLAPSED_EPOCHS in a row there), and started over at the next. */
  retries?: { lr: number; collapsedAt: number }[];
}

export interface VariantResult {
  name: VariantName;
  config: VariantConfig;
  seed: number;
  input: { mode: InputSpec['mode']; scale: number; standardized: boolean };
  parameters: number;
  lrSearch: LrSearchResult;
  history: {
    epochs: EpochLog[];
    bestEpoch: number;
    bestValLoss: number;
    stoppedEarly: boolean;
    restoredBestWeights: boolean;
    seconds: number;
    /** The training engine's path and threading (from fit's History), when fit ran in this process. */
    engine?: History['engine'];
    threads?: History['threads'];
  };
  validation: { loss: number; accuracy: number };
  test: { loss: number; accuracy: number };
  activations: { init: LayerStats[]; trained: LayerStats[] };
  mc?: McAnalysis;
}

export interface Summary {
  torchnode: string;
  libtorch: string;
  device: string;
  threads: number;
  cpus: number;
  node: string;
  platform: string;
  seed: number;
  complete: boolean;
  options: ExerciseOptions;
  data: { source: string; train: number; validation: number; test: number };
  variants: VariantResult[];
  comparison: ComparisonRow[];
  answers: Answers;
  wallSeconds: number;
}

const exists = (p: string): boolean => fs.existsSync(p);
const readJson = <T>(p: string): T => JSON.parse(fs.readFileSync(p, 'utf8')) as T;
const writeJson = (p: string, value: unknown): Promise<void> =>
  writeFileAtomic(p, JSON.stringify(value, null, 2) + '\n');

/** Per-variant files. */
export function variantFiles(out: string, name: string) {
  const dir = path.join(out, name);
  return {
    dir,
    lrSearch: path.join(dir, 'lr-search.json'),
    initStats: path.join(dir, 'init-activations.json'),
    checkpoint: path.join(dir, 'checkpoint.safetensors'),
    history: path.join(dir, 'history.csv'),
    model: path.join(dir, 'model.safetensors'),
    result: path.join(dir, 'result.json'),
  };
}

function isAbort(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function epochLog(e: EpochEnd | EpochLog): EpochLog {
  const log: EpochLog = { epoch: e.epoch, loss: e.loss, accuracy: e.accuracy, lr: e.lr, seconds: e.seconds };
  if (e.valLoss !== undefined) log.valLoss = e.valLoss;
  if (e.valAccuracy !== undefined) log.valAccuracy = e.valAccuracy;
  return log;
}

/** fit that turns a NaN/inf loss into a result (the LR search's high rates diverge on purpose). */
async function fitOrDiverge(...args: Parameters<typeof fit>): Promise<{ history: History; diverged: boolean }> {
  try {
    return { history: await fit(...args), diverged: false };
  } catch (error) {
    const history = (error as { history?: History }).history;
    if (history && /loss became/.test((error as Error).message)) return { history, diverged: true };
    throw error;
  }
}

class Aborted extends Error {}

/** The fit options the final training and every sweep candidate share (same seed: same initial order). */
function trainingOptions(o: ExerciseOptions, seed: number, data: ExerciseData, transform: InputTransform) {
  return {
    batchSize: o.batchSize,
    seed,
    validation: data.validation,
    earlyStopping: { monitor: 'val_loss' as const, patience: o.patience, restoreBestWeights: true },
    inputTransform: transform,
    device: o.device,
  };
}

function trainingState(log: EpochEnd, bestState: Tensor[] | undefined, epochs: EpochLog[]) {
  return { epoch: log.epoch, best: log.best, bestEpoch: log.bestEpoch, wait: log.wait, bestState, epochs, lr: log.lr };
}

function sweepCheckpoint(dir: string, lr: number): string {
  return path.join(dir, `sweep-${lr}.safetensors`);
}

function removeSweepCheckpoints(dir: string): void {
  if (!exists(dir)) return;
  for (const f of fs.readdirSync(dir))
    if (/^sweep-.*\.safetensors$/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
}

async function searchLr(
  variant: VariantConfig,
  seed: number,
  data: ExerciseData,
  transform: InputTransform,
  o: ExerciseOptions,
  hooks: ExerciseHooks,
  rangeOnly = false,
  checkpointDir?: string,
): Promise<LrSearchResult> {
  const started = Date.now();
  const name = variant.name;
  const batches = Math.ceil((data.train.x.shape[0] as number) / o.batchSize);
  // 1. Range test.
  hooks.onPhase?.({ variant: name, phase: 'range-test', label: 'LR range test', epochs: o.rangeEpochs, batches });
  manualSeed(seed);
  const model = buildModel(variant);
  const optimizer = new NAdam(model.parameters(), { lr: o.rangeStart });
  const steps = batches * o.rangeEpochs;
  const range = await fitOrDiverge(model, optimizer, data.train, {
    epochs: o.rangeEpochs,
    batchSize: o.batchSize,
    seed,
    schedule: { type: 'exponential', start: o.rangeStart, end: o.rangeEnd, steps },
    recordBatches: true,
    inputTransform: transform,
    device: o.device,
    signal: hooks.signal,
    onBatchEnd: (p) => hooks.onBatch?.(name, 'range-test', p),
  });
  if (range.history.aborted || isAbort(hooks.signal)) throw new Aborted();
  const curve = rangeCurve(range.history.batchLrs ?? [], range.history.batchLosses ?? []);
  const suggestion = suggestLr(curve, range.diverged);
  hooks.log?.(
    `${name}: range test: min smoothed loss at lr ${suggestion.minLossLr.toPrecision(3)}, steepest descent at ` +
      `${suggestion.steepestLr.toPrecision(3)}; suggestion ${suggestion.suggestedLr.toPrecision(3)}`,
  );
  const rangeTest = {
    ...suggestion,
    batches: curve.lrs.length,
    lrs: curve.lrs,
    losses: curve.losses,
    smoothed: curve.smoothed,
  };
  if (rangeOnly) {
    return {
      source: 'search',
      chosenLr: suggestion.suggestedLr,
      rangeTest,
      seconds: (Date.now() - started) / 1000,
    };
  }
  // 2. Sweep: the same initial weights (same seed) for every candidate; the best val_loss wins (the largest
  //    rate among those within sweepTolerance of it).
  const sweep: SweepResult[] = [];
  for (const lr of sweepCandidates(suggestion.suggestedLr, o.sweepCandidates, o.sweepFactor)) {
    hooks.onPhase?.({ variant: name, phase: 'sweep', label: `sweep lr ${lr}`, epochs: o.sweepEpochs, batches });
    manualSeed(seed);
    const m = buildModel(variant);
    const opt = new NAdam(m.parameters(), { lr });
    // Configured exactly like the final training, so that the winner's run IS its first sweepEpochs epochs:
    // its checkpoint after the last one lets the training continue from there instead of redoing them.
    const logs: EpochLog[] = [];
    let best: Tensor[] | undefined;
    const run = await fitOrDiverge(m, opt, data.train, {
      ...trainingOptions(o, seed, data, transform),
      epochs: o.sweepEpochs,
      signal: hooks.signal,
      onEpochEnd: async (log) => {
        if (isAbort(hooks.signal)) return;
        logs.push(epochLog(log));
        const dead = collapsed(log, data.classes.length);
        if (checkpointDir) {
          if (log.improved) best = Object.values(m.stateDict()).map((t) => t.clone());
          const stops = dead || log.epoch === o.sweepEpochs || log.wait >= o.patience;
          if (stops) await saveCheckpoint(sweepCheckpoint(checkpointDir, lr), m, opt, trainingState(log, best, logs));
        }
        hooks.onEpoch?.(name, 'sweep', log);
        if (dead) hooks.log?.(`${name}: sweep lr ${lr}: the net predicts at chance level; its other epochs skipped`);
        return { stop: dead };
      },
      onBatchEnd: (p) => hooks.onBatch?.(name, 'sweep', p),
    });
    if (run.history.aborted || isAbort(hooks.signal)) throw new Aborted();
    const epochs = run.history.epochs.map(epochLog);
    const losses = epochs.map((e) => e.valLoss ?? Infinity);
    const bestValLoss = run.diverged || losses.length === 0 ? Infinity : Math.min(...losses);
    sweep.push({ lr, bestValLoss, diverged: run.diverged, epochs });
    hooks.log?.(`${name}: sweep lr ${lr}: best val_loss ${bestValLoss.toFixed(4)}`);
  }
  const winner = sweepWinner(sweep, o.sweepTolerance);
  if (!winner) {
    throw new Error(`${name}: every LR of the sweep diverged (${sweep.map((s) => s.lr).join(', ')}); pass --lr`);
  }
  return {
    source: 'search',
    chosenLr: winner.lr,
    rangeTest,
    sweep,
    seconds: (Date.now() - started) / 1000,
  };
}

function statsBatch(data: ExerciseData): Tensor {
  const n = Math.min(1000, data.validation.x.shape[0] as number);
  return data.validation.x.narrow(0, 0, n);
}

type VariantFiles = ReturnType<typeof variantFiles>;

/** What a variant's training needs besides its rate. */
interface VariantRun {
  variant: VariantConfig;
  data: ExerciseData;
  o: ExerciseOptions;
  hooks: ExerciseHooks;
  files: VariantFiles;
  seed: number;
  transform: InputTransform;
  /** The images whose activations are measured (at init and after training). */
  sample: Tensor;
}

interface Training {
  model: ReturnType<typeof buildModel>;
  epochs: EpochLog[];
  history: Pick<History, 'bestEpoch' | 'stoppedEarly' | 'restoredBestWeights'> &
    Partial<Pick<History, 'engine' | 'threads'>>;
  init: LayerStats[];
  /** The epoch at which a searched rate had sat at chance level COLLAPSED_EPOCHS epochs in a row (training
   *  stopped there). */
  collapsedAt?: number;
}

/** The final training of a variant at lrSearch.chosenLr, with early stopping, checkpointed each epoch;
 *  `stopAtChance`: it stops after COLLAPSED_EPOCHS epochs at chance level in a row (collapsedAt). */
async function trainAt(
  run: VariantRun,
  lrSearch: LrSearchResult,
  continued: boolean,
  stopAtChance: boolean,
): Promise<Training> {
  const { variant, data, o, hooks, files, seed, transform, sample } = run;
  const name = variant.name;
  const lr = lrSearch.chosenLr;
  hooks.log?.(`${name}: training with lr ${lr} (${lrSearch.source})`);

  manualSeed(seed);
  const model = buildModel(variant);
  const optimizer = new NAdam(model.parameters(), { lr });
  let init: LayerStats[];
  if (o.resume && exists(files.initStats)) init = readJson<LayerStats[]>(files.initStats);
  else {
    init = activationStats(model, sample, transform);
    await writeJson(files.initStats, init);
  }

  let resume: ResumeState | undefined;
  if ((o.resume || continued) && exists(files.checkpoint)) {
    resume = await loadCheckpoint(files.checkpoint, model, optimizer);
    hooks.log?.(
      continued
        ? `${name}: continuing the sweep's run at lr ${lr} after its epoch ${resume.epoch}`
        : `${name}: resuming after epoch ${resume.epoch} from ${files.checkpoint}`,
    );
  }
  const epochs: EpochLog[] = [...(resume?.epochs ?? [])];
  let bestState: Tensor[] | undefined = resume?.bestState;
  const batches = Math.ceil((data.train.x.shape[0] as number) / o.batchSize);
  hooks.onPhase?.({ variant: name, phase: 'train', label: 'training', epochs: o.epochs, batches });

  let history: Training['history'];
  let atChance = 0;
  let collapsedAt: number | undefined;
  const finished = resume && (resume.wait >= o.patience || resume.epoch >= o.epochs);
  if (resume && finished) {
    // Stopped between the last checkpoint and the result: training was over; put the best weights back.
    const keys = Object.keys(model.stateDict());
    if (bestState) model.loadStateDict(Object.fromEntries(keys.map((k, i) => [k, bestState![i]!])));
    history = {
      bestEpoch: resume.bestEpoch,
      stoppedEarly: resume.wait >= o.patience,
      restoredBestWeights: bestState !== undefined,
    };
  } else {
    const fitted = await fit(model, optimizer, data.train, {
      ...trainingOptions(o, seed, data, transform),
      epochs: o.epochs,
      seed: resume ? undefined : seed,
      signal: hooks.signal,
      resume,
      onBatchEnd: (p) => hooks.onBatch?.(name, 'train', p),
      onEpochEnd: async (log) => {
        // An abort stops fit mid-epoch, and fit still reports that partial epoch: never checkpoint it (resume
        // redoes the epoch from the last whole one, exactly).
        if (isAbort(hooks.signal)) return;
        epochs.push(epochLog(log));
        if (log.improved) bestState = Object.values(model.stateDict()).map((t) => t.clone());
        await saveCheckpoint(files.checkpoint, model, optimizer, trainingState(log, bestState, epochs));
        await writeFileAtomic(files.history, historyCsv(epochs));
        hooks.onEpoch?.(name, 'train', log);
        if (stopAtChance) {
          atChance = collapsed(log, data.classes.length) ? atChance + 1 : 0;
          if (atChance >= COLLAPSED_EPOCHS) {
            collapsedAt = log.epoch;
            return { stop: true };
          }
        }
        return undefined;
      },
    });
    if (fitted.aborted || isAbort(hooks.signal)) throw new Aborted();
    history = fitted;
  }
  return { model, epochs, history, init, collapsedAt };
}

async function runVariant(
  variant: VariantConfig,
  data: ExerciseData,
  o: ExerciseOptions,
  hooks: ExerciseHooks,
): Promise<VariantResult> {
  const name = variant.name;
  const files = variantFiles(o.out, name);
  fs.mkdirSync(files.dir, { recursive: true });
  const seed = o.seed + VARIANTS.findIndex((v) => v.name === name);
  const spec = inputSpec(variant.input, data.train.x);
  const transform = inputTransform(spec);
  const sample = statsBatch(data);

  // LR: the flag, a finished search (on --resume), or a new search.
  let lrSearch: LrSearchResult;
  if (o.lr !== undefined) lrSearch = { source: 'flag', chosenLr: o.lr, seconds: 0 };
  else if (o.resume && exists(files.lrSearch)) {
    lrSearch = readJson<LrSearchResult>(files.lrSearch);
    hooks.log?.(`${name}: LR search already done (lr ${lrSearch.chosenLr}), from ${files.lrSearch}`);
  } else {
    lrSearch = await searchLr(variant, seed, data, transform, o, hooks, false, files.dir);
    await writeJson(files.lrSearch, lrSearch);
  }
  // The sweep's winner already trained the first sweepEpochs epochs of this very run: continue from there.
  const fromSweep = sweepCheckpoint(files.dir, lrSearch.chosenLr);
  let continued = false;
  if (lrSearch.source === 'search' && !exists(files.checkpoint) && exists(fromSweep)) {
    fs.renameSync(fromSweep, files.checkpoint);
    continued = true;
  }
  removeSweepCheckpoints(files.dir);
  // A rate the sweep liked can still fall to chance level later (it scores only the first epochs): the
  // training then starts over at the sweep's best smaller rate. Without one (or with --lr) it goes on, and
  // early stopping keeps its best weights.
  let training: Training;
  for (;;) {
    const lr = lrSearch.chosenLr;
    const failed = [lr, ...(lrSearch.retries ?? []).map((r) => r.lr)];
    const next = lrSearch.source === 'search' ? retryLr(lrSearch.sweep ?? [], failed, o.sweepTolerance) : undefined;
    training = await trainAt({ variant, data, o, hooks, files, seed, transform, sample }, lrSearch, continued, !!next);
    if (training.collapsedAt === undefined || !next) break;
    hooks.log?.(
      `${name}: training at lr ${lr} fell to chance level (epochs ${training.collapsedAt - COLLAPSED_EPOCHS + 1}-` +
        `${training.collapsedAt}): starting over at lr ${next.lr}, the sweep's best below it`,
    );
    lrSearch = {
      ...lrSearch,
      chosenLr: next.lr,
      retries: [...(lrSearch.retries ?? []), { lr, collapsedAt: training.collapsedAt }],
    };
    await writeJson(files.lrSearch, lrSearch);
    fs.rmSync(files.checkpoint, { force: true });
    continued = false;
  }
  const { model, epochs, history, init } = training;
  const lr = lrSearch.chosenLr;
  const trainSeconds = epochs.reduce((a, e) => a + e.seconds, 0);

  const inference = { inputTransform: transform, device: o.device };
  const validation = await evaluate(model, data.validation, inference);
  const test = await evaluate(model, data.test, inference);
  const trained = activationStats(model, sample, transform);
  let mc: McAnalysis | undefined;
  if (variant.mcDropout) {
    manualSeed(seed);
    const { mean, std } = await predictMC(model, data.test.x, { ...inference, samples: o.mcSamples });
    const plain = await predict(model, data.test.x, inference);
    mc = mcAnalysis(mean, std, plain, data.test.y, o.mcSamples);
    for (const t of [mean, std, plain]) t.dispose();
  }

  if (o.device !== 'cpu') model.to('cpu');
  await save(model, files.model, {
    extra: {
      variant: name,
      config: variant,
      input: { mode: spec.mode, scale: spec.scale },
      lr,
      classes: data.classes,
      testAccuracy: test.accuracy,
    },
    extraTensors: spec.standardization ? standardizationToTensors(spec.standardization) : {},
  });
  await writeFileAtomic(files.history, historyCsv(epochs));
  const bestEpoch = history.bestEpoch;
  const result: VariantResult = {
    name,
    config: variant,
    seed,
    input: { mode: spec.mode, scale: spec.scale, standardized: spec.standardization !== undefined },
    parameters: model.parameterCount(),
    lrSearch,
    history: {
      epochs,
      bestEpoch,
      bestValLoss: epochs[bestEpoch - 1]?.valLoss ?? NaN,
      stoppedEarly: history.stoppedEarly,
      restoredBestWeights: history.restoredBestWeights,
      seconds: trainSeconds,
      ...(history.engine ? { engine: history.engine } : {}),
      ...(history.threads ? { threads: history.threads } : {}),
    },
    validation,
    test,
    activations: { init, trained },
  };
  if (mc) result.mc = mc;
  await writeJson(files.result, result);
  fs.rmSync(files.checkpoint, { force: true });
  return result;
}

export function buildSummary(
  o: ExerciseOptions,
  data: ExerciseData,
  results: VariantResult[],
  complete: boolean,
  wallSeconds: number,
): Summary {
  const comparison = comparisonRows(
    results.map((r) => ({
      variant: r.name,
      chosenLr: r.lrSearch.chosenLr,
      lrSource: r.lrSearch.source,
      epochs: r.history.epochs,
      bestEpoch: r.history.bestEpoch,
      testAccuracy: r.test.accuracy,
      ...(r.mc ? { mcAccuracy: r.mc.accuracy } : {}),
    })),
  );
  return {
    torchnode: version.torchnode,
    libtorch: version.libtorch,
    device: o.device,
    threads: getNumThreads(),
    cpus: os.availableParallelism(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    seed: o.seed,
    complete,
    options: o,
    data: {
      source: data.source,
      train: data.train.x.shape[0] as number,
      validation: data.validation.x.shape[0] as number,
      test: data.test.x.shape[0] as number,
    },
    variants: results.map((r) => ({
      ...r,
      lrSearch: r.lrSearch.rangeTest ? { ...r.lrSearch, rangeTest: { ...r.lrSearch.rangeTest } } : r.lrSearch,
    })),
    comparison,
    answers: answers(results, comparison),
    wallSeconds,
  };
}

/** Runs the exercise; resolves with the summary (complete: false when stopped by the signal). */
export async function runExercise(o: ExerciseOptions, hooks: ExerciseHooks = {}): Promise<Summary> {
  const started = Date.now();
  fs.mkdirSync(o.out, { recursive: true });
  if (!o.resume) {
    for (const v of o.variants) fs.rmSync(variantFiles(o.out, v).dir, { recursive: true, force: true });
  }
  const data = await loadData({
    dataDir: o.dataDir,
    validation: o.validation,
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
  });
  hooks.log?.(
    `data: ${data.train.x.shape[0]} train, ${data.validation.x.shape[0]} validation, ${data.test.x.shape[0]} test images from ${data.source}`,
  );
  const results: VariantResult[] = [];
  let complete = true;
  for (const name of o.variants) {
    const variant = variantConfig(name, o.variantOverrides?.[name]);
    const files = variantFiles(o.out, name);
    if (o.resume && exists(files.result)) {
      hooks.log?.(`${name}: already finished, from ${files.result}`);
      results.push(readJson<VariantResult>(files.result));
      continue;
    }
    try {
      results.push(await runVariant(variant, data, o, hooks));
    } catch (error) {
      if (!(error instanceof Aborted)) throw error;
      complete = false;
      hooks.log?.(`${name}: stopped; --resume continues from the last checkpoint`);
      break;
    }
  }
  const summary = buildSummary(o, data, results, complete, (Date.now() - started) / 1000);
  await writeReport(o.out, summary);
  return summary;
}

/** `torchnode lr-find`: the LR search of one variant (range test, and the sweep unless `rangeOnly`), written to
 *  --out/<variant>/lr-search.json. */
export async function findLr(
  o: ExerciseOptions,
  name: VariantName,
  hooks: ExerciseHooks = {},
  rangeOnly = false,
): Promise<LrSearchResult> {
  const variant = variantConfig(name, o.variantOverrides?.[name]);
  const data = await loadData({
    dataDir: o.dataDir,
    validation: o.validation,
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
  });
  const seed = o.seed + VARIANTS.findIndex((v) => v.name === name);
  const transform = inputTransform(inputSpec(variant.input, data.train.x));
  const files = variantFiles(o.out, name);
  fs.mkdirSync(files.dir, { recursive: true });
  try {
    const result = await searchLr(
      variant,
      seed,
      data,
      transform,
      rangeOnly ? { ...o, sweepCandidates: 1 } : o,
      hooks,
      rangeOnly,
    );
    await writeJson(files.lrSearch, result);
    return result;
  } catch (error) {
    if (error instanceof Aborted) throw new Error('stopped');
    throw error;
  }
}

export { thin };
