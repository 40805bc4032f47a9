// The safetensors file format (https://github.com/huggingface/safetensors) over torchnode Tensors.
//
// Layout: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
// padded with spaces to a multiple of 8, then the raw little-endian, row-major data; `data_offsets` are
// relative to the start of the data section. Writing follows the reference implementation exactly: the
// header is padded to a multiple of 8, `__metadata__` comes first, and tensors are laid out by dtype
// alignment, largest first (I64, F64, F32, I32, U8, BOOL), then by name (UTF-8 byte order). The reference
// sorts that way so that every tensor's data is aligned for its dtype; files are deterministic (same
// tensors and metadata give the same bytes). Reading accepts any valid layout (unpadded headers, any
// order, unaligned data) and checks it as strictly as the reference reader does: the tensors must tile
// the data section exactly (no overlap, no gap, nothing missing or left over).
//
// dtypes: F32, F64, I32, I64, U8, BOOL <-> float32, float64, int32, int64, uint8, bool. Others (F16,
// BF16, I8, ...) are rejected on reading with an Error naming the file and the tensor.
//
// Metadata keys torchnode writes (all values are strings, as the format requires):
//   format          'torchnode' for files written by tn.save / checkpoints (the reference's own writers put
//                   'pt', 'tf', ... here; readers outside torchnode ignore what they do not know).
//   format_version  '1': the version of the key layout described here.
//   content         'model' (tn.save: a state dict) or 'checkpoint' (model + optimizer + training state).
//   architecture    JSON.stringify(module.config): what tn.load needs to rebuild the module.
//   torchnode       the torchnode version that wrote the file (informational).
// Proposed for checkpoints (owner: lib/train): tensors named 'model.<state dict key>' and
// 'optimizer.<param index>.<state key>', plus
//   optimizer       JSON {"type": "NAdam", "options": {...}, "step": n, ...scalars of the optimizer state}
//   training        JSON {"epoch": n, "bestValLoss": x, "wait": n, ...}: what resuming needs.
// So tn.save(module, path) is
//   writeSafetensors(path, module.stateDict(), { format: 'torchnode', format_version: '1', content: 'model',
//                    architecture: JSON.stringify(module.config) })
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { type DType, type TensorData } from '../dtype';
import { Tensor, tensor } from '../tensor';
import { writeAll, writeFileAtomic } from './atomic-write';

/** The reference implementation's limit; a longer header means a corrupt file or not a safetensors one. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The value of `__metadata__.format` in files torchnode writes. */
export const TORCHNODE_FORMAT = 'torchnode';

export type SafetensorsDType = 'F32' | 'F64' | 'I32' | 'I64' | 'U8' | 'BOOL';

interface DTypeInfo {
  dtype: DType;
  bytes: number;
  /** Position in the reference's write order (larger alignment first). */
  rank: number;
}

const BY_FILE_DTYPE: Readonly<Record<SafetensorsDType, DTypeInfo>> = {
  I64: { dtype: 'int64', bytes: 8, rank: 0 },
  F64: { dtype: 'float64', bytes: 8, rank: 1 },
  F32: { dtype: 'float32', bytes: 4, rank: 2 },
  I32: { dtype: 'int32', bytes: 4, rank: 3 },
  U8: { dtype: 'uint8', bytes: 1, rank: 4 },
  BOOL: { dtype: 'bool', bytes: 1, rank: 5 },
};

const FILE_DTYPE: Readonly<Record<DType, SafetensorsDType>> = {
  int64: 'I64',
  float64: 'F64',
  float32: 'F32',
  int32: 'I32',
  uint8: 'U8',
  bool: 'BOOL',
};

/** What the header says about one tensor. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDType;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

function checkHost(): void {
  // The format is little-endian and so is every platform libtorch ships for; say so rather than corrupt data.
  if (os.endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

/** Sets a key on a plain object safely (a tensor may be called '__proto__' or 'constructor'). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Writing

interface PreparedFile {
  /** The 8-byte length and the padded JSON header. */
  head: Buffer;
  /** The tensors' bytes in file order (copies taken when prepared). */
  chunks: Uint8Array[];
  byteLength: number;
}

function checkMetadata(op: string, metadata: unknown): Record<string, string> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new TypeError(`${op}: metadata must be an object of strings, got ${describe(metadata)}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') {
      throw new TypeError(`${op}: metadata values must be strings, but '${key}' is ${describe(value)}`);
    }
  }
  return metadata as Record<string, string>;
}

function bytesOf(t: Tensor): Uint8Array {
  // toArray() copies to the CPU itself; moving first keeps that true whatever toArray does for devices.
  const cpu = t.device === 'cpu' ? t : t.to('cpu');
  try {
    const data: TensorData = cpu.toArray();
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } finally {
    if (cpu !== t) cpu.dispose();
  }
}

/** Copies the tensors' data now and builds the header; nothing is written yet. */
function prepare(op: string, tensors: unknown, metadata: unknown): PreparedFile {
  checkHost();
  if (typeof tensors !== 'object' || tensors === null || Array.isArray(tensors)) {
    throw new TypeError(`${op}: tensors must be an object of name -> Tensor, got ${describe(tensors)}`);
  }
  const meta = checkMetadata(op, metadata);
  const entries = Object.entries(tensors).map(([name, t]) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: '${name}' is ${describe(t)}, not a Tensor`);
    if (name === '__metadata__') throw new Error(`${op}: '__metadata__' is reserved and cannot name a tensor`);
    if (t.isDisposed) throw new Error(`${op}: tensor '${name}' has been disposed`);
    const fileDtype = FILE_DTYPE[t.dtype];
    if (!fileDtype) throw new Error(`${op}: tensor '${name}' has dtype ${String(t.dtype)}, which cannot be saved`);
    return { name, key: Buffer.from(name, 'utf8'), tensor: t, fileDtype, info: BY_FILE_DTYPE[fileDtype] };
  });
  entries.sort((a, b) => a.info.rank - b.info.rank || Buffer.compare(a.key, b.key));

  const parts: string[] = [];
  if (Object.keys(meta).length > 0) {
    // Built by hand so that key order is exactly ours (JSON.stringify puts integer-like keys first).
    const items = Object.entries(meta).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${items.join(',')}}`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const bytes = bytesOf(entry.tensor);
    const shape = entry.tensor.shape;
    const expected = shape.reduce((n, d) => n * d, 1) * entry.info.bytes;
    if (bytes.byteLength !== expected) {
      throw new Error(`${op}: tensor '${entry.name}' gave ${bytes.byteLength} bytes, expected ${expected}`);
    }
    const info = { dtype: entry.fileDtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(`${JSON.stringify(entry.name)}:${JSON.stringify(info)}`);
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const json = `{${parts.join(',')}}`;
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const padded = Math.ceil(jsonBytes / 8) * 8;
  if (padded > MAX_HEADER_BYTES) {
    throw new Error(`${op}: the header would be ${padded} bytes, over the format's ${MAX_HEADER_BYTES}-byte limit`);
  }
  const head = Buffer.alloc(8 + padded, 0x20);
  head.writeBigUInt64LE(BigInt(padded), 0);
  head.write(json, 8, 'utf8');
  return { head, chunks, byteLength: head.byteLength + offset };
}

/**
 * The safetensors bytes of `tensors` (any device; copied to the CPU) with optional string metadata.
 * Deterministic: the same tensors and metadata give the same bytes.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  const file = prepare('encodeSafetensors', tensors, metadata);
  return Buffer.concat([file.head, ...file.chunks], file.byteLength);
}

/**
 * Writes `tensors` to `path` in the safetensors format, atomically (temp file in the same folder, fsync,
 * rename): `path` holds either its old contents or the whole new file. The tensors are copied when the
 * call is made, so changing them while the write is in flight does not change the file.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`writeSafetensors: path must be a non-empty string, got ${describe(path)}`);
  }
  const file = prepare(`writeSafetensors (${path})`, tensors, metadata);
  await writeFileAtomic(path, async (handle) => {
    await writeAll(handle, file.head);
    for (const chunk of file.chunks) await writeAll(handle, chunk);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Reading

function fail(file: string, problem: string): never {
  throw new Error(`${file}: ${problem}`);
}

/** Validates the 8-byte prefix against the file size; returns the header length. */
function headerLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) {
    fail(file, `not a safetensors file: it has ${fileSize} bytes, fewer than the 8-byte header length (truncated?)`);
  }
  const n = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(file, `not a safetensors file: header length ${n} is over the ${MAX_HEADER_BYTES}-byte (100 MB) limit`);
  }
  if (8n + n > BigInt(fileSize)) {
    fail(
      file,
      `truncated or not a safetensors file: header length ${n} runs past the end of the file (${fileSize} bytes)`,
    );
  }
  return Number(n);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Parses and checks the JSON header against a data section of `dataLength` bytes. */
function parseHeader(json: Uint8Array, dataLength: number, dataStart: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(json);
  } catch {
    fail(file, 'the header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(file, `the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(file, `the header must be a JSON object, got ${describe(parsed)}`);
  }

  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafetensorsTensorInfo> = {};
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        fail(file, `__metadata__ must be an object mapping strings to strings, got ${describe(raw)}`);
      }
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string') {
          fail(file, `__metadata__ must map strings to strings, but '${key}' is ${describe(value)}`);
        }
        setOwn(metadata, key, value);
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      fail(file, `tensor '${name}' must be an object with dtype, shape and data_offsets, got ${describe(raw)}`);
    }
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !Object.hasOwn(BY_FILE_DTYPE, dtype)) {
      fail(
        file,
        `tensor '${name}' has unknown or unsupported dtype ${JSON.stringify(dtype)} ` +
          `(torchnode reads ${Object.keys(BY_FILE_DTYPE).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      fail(file, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)} (expected non-negative integers)`);
    }
    const [first, second] = Array.isArray(offsets) ? (offsets as unknown[]) : [];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(first) || !isCount(second) || first > second) {
      fail(
        file,
        `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end], 0 <= begin <= end)`,
      );
    }
    const begin = first;
    const end = second;
    if (end > dataLength) {
      fail(
        file,
        `tensor '${name}' data_offsets [${begin}, ${end}] are out of range: the data section has ${dataLength} bytes ` +
          '(truncated file?)',
      );
    }
    const info = BY_FILE_DTYPE[dtype as SafetensorsDType];
    const needed = (shape as number[]).reduce((n, d) => n * BigInt(d), 1n) * BigInt(info.bytes);
    if (needed !== BigInt(end - begin)) {
      fail(
        file,
        `tensor '${name}' data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape ` +
          `[${(shape as number[]).join(', ')}] of ${dtype} needs ${needed}`,
      );
    }
    setOwn(tensors, name, {
      dtype: dtype as SafetensorsDType,
      shape: [...(shape as number[])],
      dataOffsets: [begin, end],
    });
    ranges.push({ name, begin, end });
  }

  // The tensors must tile the data section: sorted by offset, each starts where the previous one ended.
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: (typeof ranges)[number] | undefined;
  for (const range of ranges) {
    if (range.begin < covered && previous) {
      fail(
        file,
        `tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${range.name}' ` +
          `[${range.begin}, ${range.end}] overlap`,
      );
    }
    if (range.begin > covered) {
      fail(file, `invalid data_offsets: bytes [${covered}, ${range.begin}) of the data section belong to no tensor`);
    }
    covered = range.end;
    if (range.end > range.begin) previous = range;
  }
  if (covered !== dataLength) {
    fail(file, `invalid data_offsets: the tensors end at byte ${covered} but the data section has ${dataLength} bytes`);
  }
  return { tensors, metadata, dataStart };
}

function tensorFrom(info: SafetensorsTensorInfo, data: Uint8Array): Tensor {
  const { dtype, bytes } = BY_FILE_DTYPE[info.dtype];
  const [begin, end] = info.dataOffsets;
  let view = data.subarray(begin, end);
  // A TypedArray needs its offset aligned to its element size; data written like the reference always is.
  if (view.byteOffset % bytes !== 0) view = new Uint8Array(view);
  const n = (end - begin) / bytes;
  const { buffer, byteOffset } = view;
  let typed: ArrayBufferView;
  switch (dtype) {
    case 'float32':
      typed = new Float32Array(buffer, byteOffset, n);
      break;
    case 'float64':
      typed = new Float64Array(buffer, byteOffset, n);
      break;
    case 'int32':
      typed = new Int32Array(buffer, byteOffset, n);
      break;
    case 'int64':
      typed = new BigInt64Array(buffer, byteOffset, n);
      break;
    case 'uint8':
    case 'bool':
      typed = view;
      break;
  }
  return tensor(typed, { shape: info.shape, dtype });
}

function buildTensors(header: SafetensorsHeader, data: Uint8Array, file: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  try {
    for (const [name, info] of Object.entries(header.tensors)) setOwn(out, name, tensorFrom(info, data));
  } catch (error) {
    for (const t of Object.values(out)) t.dispose();
    throw new Error(`${file}: could not create the tensors: ${(error as Error).message}`, { cause: error });
  }
  return out;
}

/**
 * Decodes safetensors bytes (all of a file). `nameForErrors` (a file name) starts every error message.
 * The tensors are new CPU tensors: the buffer can be reused afterwards.
 */
export function decodeSafetensors(buffer: Uint8Array, nameForErrors = 'safetensors data'): SafetensorsContents {
  checkHost();
  if (!(buffer instanceof Uint8Array)) {
    throw new TypeError(`decodeSafetensors: expected a Buffer or Uint8Array, got ${describe(buffer)}`);
  }
  const n = headerLength(buffer.subarray(0, 8), buffer.byteLength, nameForErrors);
  const dataStart = 8 + n;
  const header = parseHeader(buffer.subarray(8, dataStart), buffer.byteLength - dataStart, dataStart, nameForErrors);
  return { tensors: buildTensors(header, buffer.subarray(dataStart), nameForErrors), metadata: header.metadata };
}

async function readExactly(handle: fs.FileHandle, into: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) fail(file, `truncated: the file ended after ${position + done} bytes while reading`);
    done += bytesRead;
  }
}

async function openHeader(
  path: string,
): Promise<{ handle: fs.FileHandle; header: SafetensorsHeader; dataLength: number }> {
  const handle = await fs.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0, path);
    const n = headerLength(prefix, size, path);
    // Only now, with n checked against the limit and the file size, is the header's memory allocated.
    const json = new Uint8Array(n);
    await readExactly(handle, json, 8, path);
    const dataLength = size - 8 - n;
    return { handle, header: parseHeader(json, dataLength, 8 + n, path), dataLength };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** Reads and checks only the header of a safetensors file: names, dtypes, shapes and metadata. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  checkHost();
  const { handle, header } = await openHeader(path);
  await handle.close();
  return header;
}

/**
 * Reads a safetensors file into new CPU tensors. Every malformed file (bad header length, invalid JSON,
 * offsets out of range / overlapping / not matching shape x dtype, unknown dtype, non-string metadata,
 * truncation) gives an Error whose message starts with the path.
 */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  checkHost();
  if (typeof path !== 'string' || path === '') {
    throw new TypeError(`readSafetensors: path must be a non-empty string, got ${describe(path)}`);
  }
  const { handle, header, dataLength } = await openHeader(path);
  let data: Buffer;
  try {
    // One buffer of its own (offset 0), so every tensor of a reference-ordered file is viewed, not copied.
    data = Buffer.allocUnsafeSlow(dataLength);
    await readExactly(handle, data, header.dataStart, path);
  } finally {
    await handle.close();
  }
  return { tensors: buildTensors(header, data, path), metadata: header.metadata };
}
