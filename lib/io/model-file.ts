// Model files and checkpoints, in the safetensors format (see safetensors.ts for the metadata keys).
//   tn.save(model, path[, { extra }])  -> tensors = state dict, metadata.architecture = model.config
//   tn.load(path)                      -> the rebuilt model with its weights (and the extra metadata)
//   saveCheckpoint / loadCheckpoint    -> model + optimizer + RNG + training state, to resume a fit exactly
import { native, type NativeTensor } from '../native';
import { Module } from '../nn/module';
import { fromConfig } from '../nn/config';
import type { ModuleConfig } from '../nn/module';
import type { Optimizer } from '../optim';
import { Tensor, describeType } from '../tensor';
import { version } from '../runtime';
import type { ResumeState } from '../train/types';
import { TORCHNODE_FORMAT, readSafetensors, writeSafetensors } from './safetensors';

interface RngBinding {
  getRngState(): NativeTensor;
  setRngState(state: NativeTensor): void;
}
const rng = native as unknown as RngBinding;

function baseMetadata(content: 'model' | 'checkpoint', model: Module): Record<string, string> {
  return {
    format: TORCHNODE_FORMAT,
    format_version: '1',
    content,
    architecture: JSON.stringify(model.config),
    torchnode: version.torchnode,
  };
}

function checkModule(op: string, model: unknown): asserts model is Module {
  if (!(model instanceof Module)) throw new TypeError(`${op}: model must be a Module, got ${describeType(model)}`);
}

export interface SaveOptions {
  /** Extra JSON-able data stored beside the weights (e.g. the input standardization), returned by load(). */
  extra?: Record<string, unknown>;
  /** Extra tensors stored beside the weights under 'extra.<name>'. */
  extraTensors?: Record<string, Tensor>;
}

/** Writes the model's weights and architecture atomically (temp file + rename). */
export async function save(model: Module, path: string, options: SaveOptions = {}): Promise<void> {
  checkModule('save', model);
  const tensors: Record<string, Tensor> = { ...model.stateDict() };
  for (const [name, t] of Object.entries(options.extraTensors ?? {})) tensors[`extra.${name}`] = t;
  const metadata = baseMetadata('model', model);
  if (options.extra) metadata.extra = JSON.stringify(options.extra);
  await writeSafetensors(path, tensors, metadata);
}

/** The state dict stored in a model file (for `model.loadStateDict`). */
export async function loadStateDict(path: string): Promise<Record<string, Tensor>> {
  const { tensors } = await readSafetensors(path);
  return Object.fromEntries(Object.entries(tensors).filter(([name]) => !name.startsWith('extra.')));
}

export interface LoadedModel {
  model: Module;
  extra: Record<string, unknown>;
  extraTensors: Record<string, Tensor>;
}

function architectureOf(path: string, metadata: Record<string, string>): ModuleConfig {
  if (metadata.format !== TORCHNODE_FORMAT || metadata.architecture === undefined) {
    throw new Error(`${path}: not a torchnode model file (no architecture in its metadata); use loadStateDict`);
  }
  try {
    return JSON.parse(metadata.architecture) as ModuleConfig;
  } catch (error) {
    throw new Error(`${path}: the architecture in its metadata is not valid JSON (${(error as Error).message})`);
  }
}

/** Rebuilds the model saved at `path`, with its weights, plus what was saved beside them. */
export async function loadModel(path: string): Promise<LoadedModel> {
  const { tensors, metadata } = await readSafetensors(path);
  const checkpoint = metadata.content === 'checkpoint';
  const model = fromConfig(architectureOf(path, metadata));
  const state: Record<string, Tensor> = {};
  const extraTensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith('extra.')) extraTensors[name.slice('extra.'.length)] = t;
    else if (!checkpoint) state[name] = t;
    else if (name.startsWith('model.')) state[name.slice('model.'.length)] = t;
  }
  try {
    model.loadStateDict(state);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
  const extra = metadata.extra ? (JSON.parse(metadata.extra) as Record<string, unknown>) : {};
  return { model, extra, extraTensors };
}

/** Rebuilds the model saved at `path` (by `save` or as a checkpoint), with its weights. */
export async function load(path: string): Promise<Module> {
  return (await loadModel(path)).model;
}

export interface CheckpointState extends ResumeState {
  /** The learning rate to continue with. */
  lr: number;
  extra?: Record<string, unknown>;
}

/**
 * Model, optimizer, best weights so far, the CPU generator and the training bookkeeping in one file,
 * written atomically: `loadCheckpoint` + `fit({ resume })` continues exactly where this left off.
 */
export async function saveCheckpoint(
  path: string,
  model: Module,
  optimizer: Optimizer,
  state: Omit<CheckpointState, 'bestState'> & { bestState?: Tensor[] },
): Promise<void> {
  checkModule('saveCheckpoint', model);
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) tensors[`model.${name}`] = t;
  for (const [name, t] of Object.entries(optimizer.stateDict())) tensors[`optimizer.${name}`] = t;
  (state.bestState ?? []).forEach((t, i) => (tensors[`best.${i}`] = t));
  tensors['rng.cpu'] = new Tensor(rng.getRngState());
  const { bestState: _omit, ...training } = state;
  await writeSafetensors(path, tensors, { ...baseMetadata('checkpoint', model), training: JSON.stringify(training) });
}

/** Puts a checkpoint's model, optimizer and generator state back, and returns what `fit({ resume })` needs. */
export async function loadCheckpoint(path: string, model: Module, optimizer: Optimizer): Promise<CheckpointState> {
  const { tensors, metadata } = await readSafetensors(path);
  if (metadata.content !== 'checkpoint' || metadata.training === undefined) {
    throw new Error(`${path}: not a torchnode checkpoint`);
  }
  const pick = (prefix: string): Record<string, Tensor> =>
    Object.fromEntries(
      Object.entries(tensors)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, t]) => [name.slice(prefix.length), t]),
    );
  try {
    model.loadStateDict(pick('model.'));
    optimizer.loadStateDict(pick('optimizer.'));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
  const rngState = tensors['rng.cpu'];
  if (rngState) rng.setRngState(rngState.native);
  const best = pick('best.');
  const bestState = Object.keys(best).length
    ? Object.keys(best)
        .map(Number)
        .sort((a, b) => a - b)
        .map((i) => best[String(i)]!)
    : undefined;
  const training = JSON.parse(metadata.training) as CheckpointState;
  optimizer.lr = training.lr;
  return { ...training, bestState };
}
