// Tensor: the typed facade over a native tensor handle, and the functions that create tensors.
import { native, type NativeTensor } from './native';
import { type DType, type Device, type TensorData, dtypeOfTypedArray, isDevice, isDType, typedArrayFor } from './dtype';

export interface TensorOptions {
  /** Shape of the result; defaults to the nesting of `data` (or [length] for a flat array). */
  shape?: readonly number[];
  dtype?: DType;
  device?: Device;
}

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
}

export interface ReduceOptions {
  /** Dimension(s) to reduce; all of them when omitted. */
  dim?: number | readonly number[];
  /** Keep reduced dimensions with size 1. */
  keepdim?: boolean;
}

/** A nested array of numbers or booleans, as `tensor()` accepts and `tolist()` returns. */
export type NestedArray = number | boolean | readonly NestedArray[];

type Operand = Tensor | number;

function operand(op: string, other: unknown): NativeTensor | number {
  if (other instanceof Tensor) return other.native;
  if (typeof other === 'number') return other;
  throw new TypeError(`${op}: other must be a Tensor or a number, got ${describeType(other)}`);
}

function tensorArgument(op: string, value: unknown): NativeTensor {
  if (value instanceof Tensor) return value.native;
  throw new TypeError(`${op}: expected a Tensor, got ${describeType(value)}`);
}

/** @internal */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d))) {
    throw new TypeError(`${op}: shape must be an array of integers, got ${describeType(shape)}`);
  }
  return shape as number[];
}

function checkOptions(op: string, options: CreateOptions): void {
  if (options.dtype !== undefined && !isDType(options.dtype)) {
    throw new Error(
      `${op}: unknown dtype '${String(options.dtype)}' (expected float32, float64, int32, int64, uint8 or bool)`,
    );
  }
  if (options.device !== undefined && !isDevice(options.device)) {
    throw new Error(`${op}: unknown device '${String(options.device)}' (expected 'cpu', 'cuda' or 'cuda:N')`);
  }
}

/**
 * An n-dimensional array on a device, backed by a libtorch tensor.
 *
 * Memory is freed when the Tensor is garbage-collected (its native bytes count towards V8's heap
 * limits), or at once with `dispose()` / `using`. Any use after dispose throws
 * `Error: tensor has been disposed`.
 */
export class Tensor {
  /** @internal */
  readonly native: NativeTensor;

  /** @internal Tensors are made by `tensor()`, `zeros()` and the other factories. */
  constructor(handle: NativeTensor) {
    this.native = handle;
    scopes.at(-1)?.push(this);
  }

  get shape(): number[] {
    return this.native.shape();
  }

  get dtype(): DType {
    return this.native.dtype();
  }

  get device(): Device {
    return this.native.device() as Device;
  }

  /** Number of elements. */
  get size(): number {
    return this.native.numel();
  }

  get isDisposed(): boolean {
    return this.native.isDisposed();
  }

  get requiresGrad(): boolean {
    return this.native.requiresGrad();
  }

  set requiresGrad(value: boolean) {
    this.native.setRequiresGrad(value);
  }

  /** The gradient accumulated by `backward()`, if any. */
  get grad(): Tensor | undefined {
    const g = this.native.grad();
    return g ? new Tensor(g) : undefined;
  }

  /** A copy of the elements in row-major order (int64 as BigInt64Array, bool as 0/1 bytes). */
  toArray(): TensorData {
    return this.native.toTypedArray();
  }

  /** The elements as nested arrays of numbers (booleans for bool; int64 converted to number). */
  tolist(): NestedArray {
    const flat = this.toArray();
    const isBool = this.dtype === 'bool';
    const shape = this.shape;
    let offset = 0;
    const build = (depth: number): NestedArray => {
      if (depth === shape.length) {
        const v = flat[offset++];
        return isBool ? Boolean(v) : Number(v);
      }
      const out: NestedArray[] = [];
      for (let i = 0; i < (shape[depth] ?? 0); i++) out.push(build(depth + 1));
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    return Number(this.native.item());
  }

  /** A copy on another device or with another dtype (or this tensor's storage when nothing changes). */
  to(target: Device | DType): Tensor {
    if (isDType(target)) return new Tensor(this.native.to(undefined, target));
    if (isDevice(target)) return new Tensor(this.native.to(target, undefined));
    throw new Error(`to: '${String(target)}' is neither a device nor a dtype`);
  }

  add(other: Operand): Tensor {
    return new Tensor(this.native.binary('add', operand('add', other)));
  }

  sub(other: Operand): Tensor {
    return new Tensor(this.native.binary('sub', operand('sub', other)));
  }

  mul(other: Operand): Tensor {
    return new Tensor(this.native.binary('mul', operand('mul', other)));
  }

  div(other: Operand): Tensor {
    return new Tensor(this.native.binary('div', operand('div', other)));
  }

  pow(other: Operand): Tensor {
    return new Tensor(this.native.binary('pow', operand('pow', other)));
  }

  eq(other: Operand): Tensor {
    return new Tensor(this.native.binary('eq', operand('eq', other)));
  }

  ne(other: Operand): Tensor {
    return new Tensor(this.native.binary('ne', operand('ne', other)));
  }

  lt(other: Operand): Tensor {
    return new Tensor(this.native.binary('lt', operand('lt', other)));
  }

  le(other: Operand): Tensor {
    return new Tensor(this.native.binary('le', operand('le', other)));
  }

  gt(other: Operand): Tensor {
    return new Tensor(this.native.binary('gt', operand('gt', other)));
  }

  ge(other: Operand): Tensor {
    return new Tensor(this.native.binary('ge', operand('ge', other)));
  }

  maximum(other: Tensor): Tensor {
    return new Tensor(this.native.binary('maximum', tensorArgument('maximum', other)));
  }

  minimum(other: Tensor): Tensor {
    return new Tensor(this.native.binary('minimum', tensorArgument('minimum', other)));
  }

  /** Matrix product (batched and broadcast like torch.matmul). */
  matmul(other: Tensor): Tensor {
    return new Tensor(this.native.binary('matmul', tensorArgument('matmul', other)));
  }

  neg(): Tensor {
    return new Tensor(this.native.unary('neg'));
  }

  abs(): Tensor {
    return new Tensor(this.native.unary('abs'));
  }

  exp(): Tensor {
    return new Tensor(this.native.unary('exp'));
  }

  log(): Tensor {
    return new Tensor(this.native.unary('log'));
  }

  sqrt(): Tensor {
    return new Tensor(this.native.unary('sqrt'));
  }

  square(): Tensor {
    return new Tensor(this.native.unary('square'));
  }

  sign(): Tensor {
    return new Tensor(this.native.unary('sign'));
  }

  sigmoid(): Tensor {
    return new Tensor(this.native.unary('sigmoid'));
  }

  tanh(): Tensor {
    return new Tensor(this.native.unary('tanh'));
  }

  relu(): Tensor {
    return new Tensor(this.native.unary('relu'));
  }

  isnan(): Tensor {
    return new Tensor(this.native.unary('isnan'));
  }

  isfinite(): Tensor {
    return new Tensor(this.native.unary('isfinite'));
  }

  clone(): Tensor {
    return new Tensor(this.native.unary('clone'));
  }

  /** The same data without autograd history. */
  detach(): Tensor {
    return new Tensor(this.native.unary('detach'));
  }

  contiguous(): Tensor {
    return new Tensor(this.native.unary('contiguous'));
  }

  /** Transpose of a 2-D tensor. */
  t(): Tensor {
    return new Tensor(this.native.unary('t'));
  }

  flatten(): Tensor {
    return new Tensor(this.native.unary('flatten'));
  }

  sum(options: ReduceOptions = {}): Tensor {
    return this.reduce('sum', options);
  }

  mean(options: ReduceOptions = {}): Tensor {
    return this.reduce('mean', options);
  }

  /** Standard deviation with Bessel's correction, like torch.std. */
  std(options: ReduceOptions = {}): Tensor {
    return this.reduce('std', options);
  }

  var(options: ReduceOptions = {}): Tensor {
    return this.reduce('var', options);
  }

  max(options: ReduceOptions = {}): Tensor {
    return this.reduce('max', options);
  }

  min(options: ReduceOptions = {}): Tensor {
    return this.reduce('min', options);
  }

  argmax(options: ReduceOptions = {}): Tensor {
    return this.reduce('argmax', options);
  }

  argmin(options: ReduceOptions = {}): Tensor {
    return this.reduce('argmin', options);
  }

  private reduce(op: string, options: ReduceOptions): Tensor {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`${op}: options must be an object like { dim, keepdim }, got ${describeType(options)}`);
    }
    const dim =
      options.dim === undefined ? undefined : typeof options.dim === 'number' ? options.dim : [...options.dim];
    return new Tensor(this.native.reduce(op, dim, options.keepdim));
  }

  /** Same elements, new shape (one dimension may be -1). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.native.reshape(checkShape('reshape', shape)));
  }

  /** A view of `length` entries of dimension `dim` starting at `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(this.native.narrow(dim, start, length));
  }

  /** A view of entries [start, end) of dimension `dim` (end defaults to the dimension's size). */
  slice(dim: number, start: number, end?: number): Tensor {
    const size = this.shape.at(dim);
    if (size === undefined) throw new Error(`slice: dim ${dim} is out of range for shape [${this.shape.join(', ')}]`);
    const from = start < 0 ? size + start : start;
    const to = end === undefined ? size : end < 0 ? size + end : end;
    return this.narrow(dim, from, Math.max(0, to - from));
  }

  permute(dims: readonly number[]): Tensor {
    return new Tensor(this.native.permute(checkShape('permute', dims)));
  }

  /** Rows (entries of `dim`, 0 by default) picked by an int64 (or int32) index tensor. */
  index(indices: Tensor, dim = 0): Tensor {
    return new Tensor(this.native.indexSelect(dim, tensorArgument('index', indices)));
  }

  /** Back-propagates from this (scalar) tensor into the `grad` of every leaf that requires it. */
  backward(gradient?: Tensor): void {
    this.native.backward(gradient === undefined ? undefined : tensorArgument('backward', gradient));
  }

  /** Frees this handle's reference to the data now. Idempotent. */
  dispose(): void {
    this.native.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    if (this.isDisposed) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }
}

// Open tidy() scopes, innermost last: each collects the tensors created while it is open.
const scopes: Tensor[][] = [];

function collectKept(value: unknown, kept: Set<Tensor>): void {
  if (value instanceof Tensor) kept.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectKept(v, kept));
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach((v) => collectKept(v, kept));
  }
}

/**
 * Runs `fn` and disposes every tensor created during it, except those it returns (a Tensor, or Tensors
 * in a returned array or plain object), which move to the enclosing scope. Use it in synchronous loops
 * that make many temporaries: finalizers only run when the event loop turns, so without dispose() a
 * loop that never yields holds all of its tensors until it ends.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`tidy: expected a function, got ${describeType(fn)}`);
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    for (const t of scope) t.dispose();
    throw error;
  } finally {
    scopes.pop();
  }
  if (result instanceof Promise) {
    throw new Error('tidy: the function returned a Promise; tidy only tracks synchronous work');
  }
  const kept = new Set<Tensor>();
  collectKept(result, kept);
  for (const t of scope) {
    if (kept.has(t)) scopes.at(-1)?.push(t);
    else t.dispose();
  }
  return result;
}

function flattenNested(op: string, data: NestedArray): { values: (number | boolean)[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: NestedArray = data; Array.isArray(level); level = (level as NestedArray[])[0] as NestedArray) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const values: (number | boolean)[] = [];
  const walk = (node: NestedArray, depth: number, where: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number' && typeof node !== 'boolean') {
        throw new TypeError(`${op}: expected a number at ${where || 'the top level'}, got ${describeType(node)}`);
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      const got = Array.isArray(node) ? `length ${node.length}` : describeType(node);
      throw new Error(
        `${op}: ragged nested array at ${where || 'the top level'}: expected length ${shape[depth]}, got ${got}`,
      );
    }
    (node as NestedArray[]).forEach((child, i) => walk(child, depth + 1, `${where}[${i}]`));
  };
  walk(data, 0, '');
  return { values, shape };
}

/**
 * A tensor from numbers (nested arrays allowed) or a TypedArray. The data is copied.
 * dtype defaults to the TypedArray's own type, float32 for numbers and bool for booleans.
 */
export function tensor(data: NestedArray | ArrayBufferView, options: TensorOptions = {}): Tensor {
  checkOptions('tensor', options);
  let values: ArrayBufferView;
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    const own = dtypeOfTypedArray(data);
    if (!own)
      throw new TypeError(
        `tensor: ${describeType(data)} is not supported; use a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array`,
      );
    dtype = options.dtype ?? own;
    const length = (data as unknown as ArrayLike<number>).length;
    values = dtype === own ? data : typedArrayFor(dtype, data as unknown as ArrayLike<number>);
    shape = options.shape ? checkShape('tensor', options.shape) : [length];
  } else if (Array.isArray(data) || typeof data === 'number' || typeof data === 'boolean') {
    const flat = flattenNested('tensor', data);
    dtype = options.dtype ?? (typeof flat.values[0] === 'boolean' ? 'bool' : 'float32');
    values = typedArrayFor(dtype, flat.values);
    shape = options.shape ? checkShape('tensor', options.shape) : flat.shape;
  } else {
    throw new TypeError(`tensor: data must be a number, a nested array or a TypedArray, got ${describeType(data)}`);
  }
  return new Tensor(native.fromTypedArray(values, shape, dtype, options.device));
}

function filled(op: string, shape: readonly number[], value: number, options: CreateOptions): Tensor {
  checkOptions(op, options);
  return new Tensor(native.full(checkShape(op, shape), value, options.dtype ?? 'float32', options.device));
}

export function zeros(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return filled('zeros', shape, 0, options);
}

export function ones(shape: readonly number[], options: CreateOptions = {}): Tensor {
  return filled('ones', shape, 1, options);
}

export function full(shape: readonly number[], value: number, options: CreateOptions = {}): Tensor {
  return filled('full', shape, value, options);
}

/** Standard normal samples from the global generator (see `manualSeed`). */
export function randn(shape: readonly number[], options: CreateOptions = {}): Tensor {
  checkOptions('randn', options);
  return new Tensor(native.random('normal', checkShape('randn', shape), options.dtype ?? 'float32', options.device));
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], options: CreateOptions = {}): Tensor {
  checkOptions('rand', options);
  return new Tensor(native.random('uniform', checkShape('rand', shape), options.dtype ?? 'float32', options.device));
}

/** 0, 1, …, end - 1 (int64 unless a dtype is given). */
export function arange(end: number, options: CreateOptions = {}): Tensor {
  checkOptions('arange', options);
  return new Tensor(native.arange(end, options.dtype ?? 'int64', options.device));
}

/** A random permutation of 0 … n - 1 (int64). */
export function randperm(n: number, options: Pick<CreateOptions, 'device'> = {}): Tensor {
  return new Tensor(native.randperm(n, options.device));
}

/** Joins tensors along an existing dimension. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors)) throw new TypeError(`cat: tensors must be an array, got ${describeType(tensors)}`);
  return new Tensor(
    native.cat(
      tensors.map((t, i) => tensorArgument(`cat (tensors[${i}])`, t)),
      dim,
    ),
  );
}
