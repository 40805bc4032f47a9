// The plain-data types of training: datasets, logs, histories, options.
import type { Tensor } from '../tensor';
import type { Device } from '../dtype';

/** Inputs x [N, ...] (float32, or uint8 images with an inputTransform) and int64 class labels y [N]. */
export interface Dataset {
  x: Tensor;
  y: Tensor;
}

/**
 * Applied to each batch on its way into the model: x -> (float(x) * scale - mean) / std, flattened to
 * [batch, features]. mean/std are per feature ([features] tensors). Lets 50,000 uint8 images stay uint8.
 */
export interface InputTransform {
  scale?: number;
  mean?: Tensor;
  std?: Tensor;
  /** Flatten [N, ...] to [N, features] (default true). */
  flatten?: boolean;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  seconds: number;
}

export interface History {
  epochs: EpochLog[];
  /** Epoch (1-based) with the best monitored value; 0 when no epoch finished. */
  bestEpoch: number;
  /** The best monitored value. */
  best: number;
  /** Epochs since the best one (early stopping's wait counter). */
  wait: number;
  stoppedEarly: boolean;
  /** Stopped by the AbortSignal: the History holds what was trained so far. */
  aborted: boolean;
  /** Stopped because a callback asked to. */
  stoppedByCallback: boolean;
  /** The model holds the best epoch's weights (early stopping with restoreBestWeights). */
  restoredBestWeights: boolean;
  seconds: number;
  /**
   * The training step used: 'fused' (forward and backward without autograd, for a CPU Sequential of
   * Linear/ELU/SELU/ReLU/BatchNorm1d/Dropout/AlphaDropout) or 'autograd' (any model, any device).
   */
  engine: 'fused' | 'autograd';
  /** Why the fused step was not used, when it was not. */
  engineReason?: string;
  /**
   * The threading fit ran with: libtorch intra-op threads, and OpenBLAS' own threads when OpenBLAS is the BLAS.
   * Under the fused step also: OpenBLAS threads per large gemm (the input layer) and per small one, and how many
   * threads of the step's own a large gemm is split over (2: the training thread and its helper).
   */
  threads: { intraOp: number; blas?: number; blasLargeGemm?: number; blasSmallGemm?: number; largeGemmSplit?: number };
  /** With recordBatches: the loss and learning rate of every batch (the LR range test reads them). */
  batchLosses?: Float64Array;
  batchLrs?: Float64Array;
}

export type Monitor = 'val_loss' | 'val_accuracy' | 'loss' | 'accuracy';

export interface EarlyStoppingOptions {
  /** Default 'val_loss' ('loss' when there is no validation data). */
  monitor?: Monitor;
  patience: number;
  /** An improvement must beat the best by more than this. Default 0. */
  minDelta?: number;
  /** Keep the best weights in memory and put them back at the end. Default true. */
  restoreBestWeights?: boolean;
}

/** Learning-rate schedules run per batch in C++; a function runs once per epoch. */
export type LrSchedule =
  | { type: 'constant' }
  /** From `start` to `end` geometrically over `steps` batches (the LR range test's ramp). */
  | { type: 'exponential'; start: number; end: number; steps?: number }
  /** PyTorch's OneCycleLR (cosine), over `steps` batches (default: all of the fit). */
  | { type: 'onecycle'; maxLr: number; steps?: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }
  /** Called after each epoch with the next epoch's number and the current rate; returns the next rate. */
  | ((epoch: number, lr: number) => number);

export interface BatchProgress {
  epoch: number;
  batch: number;
  batches: number;
  /** Mean training loss of the epoch so far. */
  loss: number;
}

/** Everything a callback learns at the end of an epoch; the model and optimizer are idle while it runs. */
export interface EpochEnd extends EpochLog {
  /** The monitored value improved on the best so far. */
  improved: boolean;
  /** Best epoch so far, its value, and early stopping's wait counter, after this epoch. */
  bestEpoch: number;
  best: number;
  wait: number;
  /**
   * With early stopping and restoreBestWeights: the best weights so far (parameters then buffers, the
   * order `ResumeState.bestState` wants), to store in a checkpoint. Read while the callback runs (a getter:
   * each read wraps the engine's copy; it is not enumerable, so spreading the log does not keep them).
   */
  readonly bestState?: Tensor[];
}

/** Keras-style callback objects; every hook may be async. */
export interface Callback {
  onTrainBegin?(): void | Promise<void>;
  /** Return { stop: true } to end training after this epoch. */
  onEpochEnd?(log: EpochEnd): void | { stop?: boolean } | Promise<void | { stop?: boolean }>;
  onBatchEnd?(progress: BatchProgress): void;
  onTrainEnd?(history: History): void | Promise<void>;
}

/** Where a checkpoint left off, to continue a fit exactly (see `loadCheckpoint`). */
export interface ResumeState {
  /** The last finished epoch. */
  epoch: number;
  best: number;
  bestEpoch: number;
  wait: number;
  /** The best weights so far, in stateDict order (for restoreBestWeights). */
  bestState?: Tensor[];
  epochs?: EpochLog[];
}

export interface FitOptions {
  epochs: number;
  /** Default 32. */
  batchSize?: number;
  /** Reshuffle every epoch (default true), with libtorch's global generator: see `manualSeed` and `seed`. */
  shuffle?: boolean;
  /**
   * Seeds the global generator when fit starts: same seed, same run, bit for bit on the CPU. Ignored with
   * `resume` (the checkpoint's generator state continues instead).
   */
  seed?: number;
  validation?: Dataset;
  /** Default 1024. */
  validationBatchSize?: number;
  earlyStopping?: EarlyStoppingOptions;
  schedule?: LrSchedule;
  inputTransform?: InputTransform;
  /** 'cpu' (default), 'cuda', 'cuda:N' or 'auto'. Model and data are moved once. */
  device?: Device | 'auto';
  /** Stops within one batch; fit then resolves with what was trained (History.aborted). */
  signal?: AbortSignal;
  onEpochEnd?: (log: EpochEnd) => void | { stop?: boolean } | Promise<void | { stop?: boolean }>;
  /** Progress, at most every `progressIntervalMs` (default 200 ms): no JS runs per batch. */
  onBatchEnd?: (progress: BatchProgress) => void;
  progressIntervalMs?: number;
  callbacks?: Callback[];
  /** Keep every batch's loss and learning rate in History. */
  recordBatches?: boolean;
  /**
   * Treat subnormal floats (below 1.2e-38) as zero while training (default true), as TensorFlow does: the
   * Adam-style moments of a parameter whose gradient vanished decay through that range for thousands of
   * steps, at ~100x the cost per operation (on CIFAR-10 the elu net's NAdam update grew to half its step).
   * The values flushed change an update by less than 1e-30. false: IEEE subnormals, as PyTorch by default.
   */
  flushDenormals?: boolean;
  /** Continue from a checkpoint's state. */
  resume?: ResumeState;
  /** libtorch intra-op threads for the training thread (default: getNumThreads()). */
  threads?: number;
  /**
   * 'auto' (default): the fused step when the model allows it, else autograd; 'fused': the fused step or an
   * Error; 'autograd': always autograd. Both compute the same function: bit for bit with
   * TORCHNODE_FUSED_EXACT=1, within a few ulps per step by default (the fused step splits its gemms over two
   * threads and other OpenBLAS thread counts, and takes the ELU backward from the output, as autograd does
   * for an in-place ELU). The environment variable TORCHNODE_ENGINE sets the default.
   */
  engine?: 'auto' | 'fused' | 'autograd';
}

export interface InferenceOptions {
  /** Default 256. */
  batchSize?: number;
  inputTransform?: InputTransform;
  device?: Device | 'auto';
}
