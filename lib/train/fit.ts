// fit(): whole epochs in C++ on a worker thread; JS hears once per epoch (and, throttled, per batch).
import { native, type NativeTensor } from '../native';
import type { NativeOptimizer } from '../optim';
import { Optimizer } from '../optim';
import { Module } from '../nn/module';
import { Tensor, describeType } from '../tensor';
import { getNumThreads } from '../runtime';
import { whileBusy } from './busy';
import { nativeTransform } from './native-transform';
import type { BatchProgress, Callback, Dataset, EpochEnd, EpochLog, FitOptions, History } from './types';

/** The epoch message of native/trainer.cc: an EpochLog plus what the epoch barrier adds. */
interface NativeEpochLog extends EpochLog {
  improved: boolean;
  bestState?: () => NativeTensor[];
}

interface NativeHistory extends Omit<History, 'epochs'> {
  epochs: NativeEpochLog[];
}

interface TrainerBinding {
  fit(
    model: unknown,
    optimizer: NativeOptimizer,
    x: NativeTensor,
    y: NativeTensor,
    options: object,
    onEpoch: (log: NativeEpochLog, done: (reply: { stop?: boolean; lr?: number }) => void) => void,
    onBatch?: (progress: BatchProgress) => void,
  ): { promise: Promise<NativeHistory>; stop(): void };
}

const binding = native as unknown as TrainerBinding;

function checkDataset(op: string, name: string, data: Dataset | undefined): asserts data is Dataset {
  if (!data || !(data.x instanceof Tensor) || !(data.y instanceof Tensor)) {
    throw new TypeError(`${op}: ${name} must be { x: Tensor, y: Tensor }, got ${describeType(data)}`);
  }
}

function stripImproved(log: NativeEpochLog): History['epochs'][number] {
  const { improved: _improved, bestState: _bestState, ...rest } = log;
  return rest;
}

/**
 * Trains `model` with `optimizer` on `data` (cross-entropy on logits). The event loop stays free:
 * epochs run in C++ on a worker thread, batches are cut there from the dataset tensors.
 * Resolves with the History; rejects (with `error.history`) if the loss becomes NaN or a callback throws.
 */
export async function fit(model: Module, optimizer: Optimizer, data: Dataset, options: FitOptions): Promise<History> {
  if (!(model instanceof Module)) throw new TypeError(`fit: model must be a Module, got ${describeType(model)}`);
  if (!(optimizer instanceof Optimizer)) {
    throw new TypeError(`fit: optimizer must be an Optimizer, got ${describeType(optimizer)}`);
  }
  checkDataset('fit', 'data', data);
  if (options.validation !== undefined) checkDataset('fit', 'validation', options.validation);
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new Error(`fit: epochs must be a positive integer, got ${String(options.epochs)}`);
  }
  const batchSize = options.batchSize ?? 32;
  const batchesPerEpoch = Math.ceil(data.x.shape[0]! / batchSize);
  const resume = options.resume;
  const callbacks: Callback[] = [...(options.callbacks ?? [])];
  if (options.onEpochEnd || options.onBatchEnd) {
    callbacks.push({ onEpochEnd: options.onEpochEnd, onBatchEnd: options.onBatchEnd });
  }
  const schedule = options.schedule;
  const perEpochSchedule = typeof schedule === 'function' ? schedule : undefined;
  const nativeSchedule =
    schedule === undefined || typeof schedule === 'function'
      ? undefined
      : {
          ...schedule,
          steps: 'steps' in schedule && schedule.steps ? schedule.steps : batchesPerEpoch * options.epochs,
        };

  const resumed = resume
    ? {
        best: resume.best,
        bestEpoch: resume.bestEpoch,
        wait: resume.wait,
        bestState: resume.bestState?.map((t) => t.native),
      }
    : {};
  // Without early stopping the best-epoch bookkeeping still continues across a resume (disabled stopping).
  const earlyStopping = options.earlyStopping
    ? { ...options.earlyStopping, ...resumed }
    : resume
      ? {
          enabled: false,
          monitor: options.validation ? 'val_loss' : 'loss',
          patience: 0,
          restoreBestWeights: false,
          ...resumed,
          bestState: undefined,
        }
      : undefined;

  return whileBusy(model, 'fit', async () => {
    for (const cb of callbacks) await cb.onTrainBegin?.();
    let callbackError: unknown;
    let best = resume?.best ?? NaN;
    let bestEpoch = resume?.bestEpoch ?? 0;
    let wait = resume?.wait ?? 0;
    const onEpoch = (log: NativeEpochLog, done: (reply: { stop?: boolean; lr?: number }) => void): void => {
      void (async () => {
        const reply: { stop?: boolean; lr?: number } = {};
        try {
          if (log.improved) {
            bestEpoch = log.epoch;
            best = readMonitor(log, options);
            wait = 0;
          } else {
            wait++;
          }
          const end: EpochEnd = {
            ...stripImproved(log),
            improved: log.improved,
            bestEpoch,
            best,
            wait,
          };
          const readBest = log.bestState;
          // Read on demand (and not enumerable): a log kept or spread by a callback holds no weights.
          if (readBest) {
            Object.defineProperty(end, 'bestState', { get: () => readBest().map((t) => new Tensor(t)) });
          }
          for (const cb of callbacks) {
            const answer = await cb.onEpochEnd?.(end);
            if (answer && answer.stop) reply.stop = true;
          }
          if (perEpochSchedule) reply.lr = perEpochSchedule(log.epoch + 1, log.lr);
        } catch (error) {
          callbackError = error;
          reply.stop = true;
        } finally {
          done(reply);
        }
      })();
    };
    const onBatch = callbacks.some((cb) => cb.onBatchEnd)
      ? (progress: BatchProgress): void => {
          for (const cb of callbacks) cb.onBatchEnd?.(progress);
        }
      : undefined;

    const job = binding.fit(
      model.native,
      optimizer.native,
      data.x.native,
      data.y.native,
      {
        epochs: options.epochs,
        initialEpoch: resume?.epoch ?? 0,
        batchSize,
        validationBatchSize: options.validationBatchSize,
        shuffle: options.shuffle,
        // A resumed fit continues the generator state its checkpoint restored: seeding again would break it.
        seed: resume ? undefined : options.seed,
        validation: options.validation ? { x: options.validation.x.native, y: options.validation.y.native } : undefined,
        earlyStopping,
        schedule: nativeSchedule,
        inputTransform: nativeTransform(options.inputTransform),
        device: options.device,
        threads: options.threads ?? getNumThreads(),
        progressIntervalMs: options.progressIntervalMs,
        recordBatches: options.recordBatches,
        flushDenormals: options.flushDenormals,
        engine: options.engine,
      },
      onEpoch,
      onBatch,
    );
    const signal = options.signal;
    const abort = (): void => job.stop();
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
    let nativeHistory: NativeHistory;
    try {
      nativeHistory = await job.promise;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
    const history: History = {
      ...nativeHistory,
      epochs: [...(resume?.epochs ?? []), ...nativeHistory.epochs.map(stripImproved)],
    };
    if (callbackError !== undefined) {
      if (callbackError instanceof Error) Object.assign(callbackError, { history });
      throw callbackError;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(history);
    return history;
  });
}

function readMonitor(log: NativeEpochLog, options: FitOptions): number {
  const monitor = options.earlyStopping?.monitor ?? (options.validation ? 'val_loss' : 'loss');
  const values: Record<string, number | undefined> = {
    val_loss: log.valLoss,
    val_accuracy: log.valAccuracy,
    loss: log.loss,
    accuracy: log.accuracy,
  };
  return values[monitor] ?? NaN;
}
