import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tn from '../lib/index';
import { writeFileAtomic, writeAll } from '../lib/io/atomic-write';
import {
  MAX_HEADER_BYTES,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  writeSafetensors,
} from '../lib/io/safetensors';

const PYTHON = '/usr/bin/python3';
const HELPER = path.join(__dirname, 'helpers', 'read_safetensors.py');

function pythonWithNumpy(): string | undefined {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is absent`;
  const probe = spawnSync(PYTHON, ['-c', 'import numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} has no numpy`;
}
const pythonMissing = pythonWithNumpy();

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-st-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function hexOf(x: tn.Tensor): string {
  const a = x.toArray();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

/** Tensors of every dtype with the values that break naive round trips. */
function awkwardTensors(): Record<string, tn.Tensor> {
  const f32bits = new Uint32Array([0x7fc00001, 0xffc12345, 0x7f800001, 0x80000000, 0x00000001, 0x7f7fffff]);
  const f64bits = new BigUint64Array([
    0x7ff8000000000001n,
    0xfff0000000000badn,
    0x8000000000000000n,
    0x0000000000000001n,
    0x7fefffffffffffffn,
    0x3fd5555555555555n,
  ]);
  return {
    f32: tn.tensor(new Float32Array(f32bits.buffer), { shape: [2, 3] }),
    f64: tn.tensor(new Float64Array(f64bits.buffer), { shape: [3, 2] }),
    i32: tn.tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0, -1])),
    i64: tn.tensor(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n + 1n]), { shape: [5, 1] }),
    u8: tn.tensor(
      Uint8Array.from({ length: 256 }, (_, i) => i),
      { shape: [16, 16] },
    ),
    bool: tn.tensor([true, false, false, true, true]),
    scalar: tn.tensor(new Float64Array([Math.PI]), { shape: [] }),
    empty: tn.zeros([0, 3], { dtype: 'int32' }),
    'odd/name "quoted" ✓': tn.tensor(new Uint8Array([1, 2, 3]), { dtype: 'uint8' }),
  };
}

function assertSameTensors(
  t: import('ava').ExecutionContext,
  actual: Record<string, tn.Tensor>,
  expected: Record<string, tn.Tensor>,
): void {
  t.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name]!;
    t.is(got.dtype, want.dtype, name);
    t.deepEqual(got.shape, want.shape, name);
    t.is(got.device, 'cpu', name);
    t.is(hexOf(got), hexOf(want), `${name} bytes`);
  }
}

function headerJson(buffer: Buffer): { n: number; json: string } {
  const n = Number(buffer.readBigUInt64LE(0));
  return { n, json: buffer.subarray(8, 8 + n).toString('utf8') };
}

/** A file from a header object (or raw header text) and a data section, optionally with a forged length. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), forgedLength?: bigint): Buffer {
  const json = Buffer.isBuffer(header)
    ? header
    : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(forgedLength ?? BigInt(json.byteLength));
  return Buffer.concat([prefix, json, data]);
}

// ---------------------------------------------------------------------------------------------------------
// Round trips

test('encode/decode round trip is bit-exact for every dtype (NaN payloads, -0, int64 extremes)', (t) => {
  const tensors = awkwardTensors();
  const metadata = { format: 'torchnode', architecture: JSON.stringify({ layers: [3, 2] }), ünï: 'cödé' };
  const decoded = decodeSafetensors(encodeSafetensors(tensors, metadata), 'memory');
  assertSameTensors(t, decoded.tensors, tensors);
  t.deepEqual(decoded.metadata, metadata);
  // Spot-check values, not only bytes against bytes that went through the same toArray().
  t.is(decoded.tensors.i64!.toArray()[0], -(2n ** 63n));
  t.is(decoded.tensors.i64!.toArray()[4], 2n ** 53n + 1n);
  t.true(Object.is(decoded.tensors.f32!.toArray()[3], -0));
  t.is(new Uint32Array(decoded.tensors.f32!.toArray().buffer)[1], 0xffc12345);
  t.deepEqual(decoded.tensors.bool!.tolist(), [true, false, false, true, true]);
  t.is(decoded.tensors.scalar!.item(), Math.PI);
});

test('writeSafetensors/readSafetensors round trip through a file is bit-exact', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'all.safetensors');
  const tensors = awkwardTensors();
  await writeSafetensors(file, tensors, { a: '1' });
  const { tensors: back, metadata } = await readSafetensors(file);
  assertSameTensors(t, back, tensors);
  t.deepEqual(metadata, { a: '1' });
  t.deepEqual(fs.readFileSync(file), encodeSafetensors(tensors, { a: '1' }), 'file bytes equal the encoding');
  t.deepEqual(fs.readdirSync(dir), ['all.safetensors'], 'no temp file left');
});

test('layout follows the reference: padded header, __metadata__ first, dtype alignment then name order', (t) => {
  const tensors = {
    b: tn.tensor(new Uint8Array([1, 2, 3]), { dtype: 'uint8' }),
    a: tn.tensor(new Float32Array([1, 2])),
    z: tn.tensor(new BigInt64Array([5n])),
    '10': tn.tensor(new Float32Array([3])),
    '2': tn.tensor(new Float32Array([4])),
    flag: tn.tensor([true]),
    d: tn.tensor(new Float64Array([1])),
    i: tn.tensor(new Int32Array([7])),
  };
  const bytes = encodeSafetensors(tensors, { k: 'v' });
  t.deepEqual(encodeSafetensors(tensors, { k: 'v' }), bytes, 'deterministic');
  const { n, json } = headerJson(bytes);
  t.is(n % 8, 0);
  t.regex(json, /^\{"__metadata__":\{"k":"v"\},/);
  t.regex(json, /\}\s*$/);
  t.is(json.trimEnd().length + (n - json.trimEnd().length), n);
  t.true(/^ *$/.test(json.slice(json.lastIndexOf('}') + 1)), 'padding is spaces');
  const header = JSON.parse(json) as Record<string, { data_offsets: [number, number]; dtype: string }>;
  delete header.__metadata__;
  const byOffset = Object.entries(header)
    .sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0])
    .map(([name]) => name);
  t.deepEqual(byOffset, ['z', 'd', '10', '2', 'a', 'i', 'b', 'flag']);
  // Key order in the JSON text is the layout order too (integer-like names are not hoisted).
  const textOrder = [...json.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
  t.deepEqual(textOrder, byOffset);
  for (const info of Object.values(header)) {
    const size = { I64: 8, F64: 8, F32: 4, I32: 4, U8: 1, BOOL: 1 }[info.dtype]!;
    t.is((8 + n + info.data_offsets[0]) % size, 0, 'aligned in the file');
  }
  t.is(bytes.byteLength, 8 + n + 8 + 8 + 4 + 4 + 8 + 4 + 3 + 1);
});

test('an empty dict and no metadata make a valid file', (t) => {
  const bytes = encodeSafetensors({});
  t.is(headerJson(bytes).json.trimEnd(), '{}');
  t.deepEqual(decodeSafetensors(bytes, 'empty'), { tensors: {}, metadata: {} });
});

test('non-contiguous and requiresGrad tensors are saved row-major as they read', (t) => {
  const base = tn.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const w = tn.tensor([0.5, -1.5]);
  w.requiresGrad = true;
  const { tensors } = decodeSafetensors(encodeSafetensors({ tt: base.t(), w }), 'x');
  t.deepEqual(tensors.tt!.tolist(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  t.deepEqual(tensors.w!.tolist(), [0.5, -1.5]);
  t.false(tensors.w!.requiresGrad);
});

test('names like __proto__ and constructor are ordinary tensor names', (t) => {
  const tensors: Record<string, tn.Tensor> = {};
  Object.defineProperty(tensors, '__proto__', { value: tn.tensor([1]), enumerable: true });
  tensors['constructor'] = tn.tensor([2]);
  const back = decodeSafetensors(encodeSafetensors(tensors, { ['__proto__']: 'x' }), 'x');
  t.deepEqual(Object.keys(back.tensors).sort(), ['__proto__', 'constructor']);
  t.deepEqual(Object.getOwnPropertyDescriptor(back.tensors, '__proto__')!.value.tolist(), [1]);
  t.is(Object.getPrototypeOf(back.tensors), Object.prototype);
  t.is(Object.getOwnPropertyDescriptor(back.metadata, '__proto__')!.value, 'x');
});

test('readSafetensorsHeader gives names, dtypes, shapes and metadata without the data', async (t) => {
  const file = path.join(tempDir(t), 'h.safetensors');
  await writeSafetensors(file, { w: tn.zeros([2, 3]), n: tn.zeros([4], { dtype: 'int64' }) }, { format: 'torchnode' });
  const header = await readSafetensorsHeader(file);
  t.deepEqual(header.metadata, { format: 'torchnode' });
  t.deepEqual(header.tensors, {
    n: { dtype: 'I64', shape: [4], dataOffsets: [0, 32] },
    w: { dtype: 'F32', shape: [2, 3], dataOffsets: [32, 56] },
  });
  t.is(header.dataStart, 8 + Number(fs.readFileSync(file).readBigUInt64LE(0)));
});

// ---------------------------------------------------------------------------------------------------------
// Interoperability with a json + numpy reader/writer

interface PyTensor {
  dtype: string;
  shape: number[];
  hex: string;
  sum: number | string;
  values: (number | string | boolean)[];
}
interface PyFile {
  metadata: Record<string, string>;
  tensors: Record<string, PyTensor>;
}

function runHelper(args: string[]): PyFile {
  const out = spawnSync(PYTHON, [HELPER, ...args], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`helper failed (${out.status}): ${out.stderr}`);
  return JSON.parse(out.stdout) as PyFile;
}

function pyNumber(v: number | string | boolean): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return Number(v);
}

const pyTest = pythonMissing ? test.skip : test;
if (pythonMissing) {
  test('python interop tests are skipped', (t) => {
    t.log(`skipped: ${pythonMissing}`);
    t.pass();
  });
}

pyTest('a file saved here loads in Python with only json and numpy', async (t) => {
  const file = path.join(tempDir(t), 'model.safetensors');
  const tensors = awkwardTensors();
  tensors.weights = tn.randn([7, 5]);
  const metadata = { format: 'torchnode', architecture: '{"type":"Sequential"}', note: 'héllo ✓' };
  await writeSafetensors(file, tensors, metadata);
  const py = runHelper([file]);
  t.deepEqual(py.metadata, metadata);
  t.deepEqual(Object.keys(py.tensors).sort(), Object.keys(tensors).sort());
  const codes: Record<string, string | undefined> = {
    float32: 'F32',
    float64: 'F64',
    int32: 'I32',
    int64: 'I64',
    uint8: 'U8',
    bool: 'BOOL',
  };
  for (const [name, x] of Object.entries(tensors)) {
    const p = py.tensors[name]!;
    t.is(p.dtype, codes[x.dtype] ?? 'unmapped', name);
    t.deepEqual(p.shape, x.shape, name);
    t.is(p.hex, hexOf(x), `${name}: numpy sees the same bytes`);
  }
  // Values as numpy interprets them, against ours.
  const w = tensors.weights!.toArray() as Float32Array;
  t.deepEqual(py.tensors.weights!.values.map(pyNumber), Array.from(w));
  t.true(Math.abs((py.tensors.weights!.sum as number) - tensors.weights!.sum().item()) < 1e-4);
  t.deepEqual(py.tensors.i64!.values, ['-9223372036854775808', '9223372036854775807', '0', '-1', '9007199254740993']);
  t.deepEqual(py.tensors.bool!.values, [true, false, false, true, true]);
});

pyTest('a file written by Python with numpy (name order, unaligned, unpadded) loads here', async (t) => {
  const file = path.join(tempDir(t), 'numpy.safetensors');
  const py = runHelper(['write', file]);
  const raw = fs.readFileSync(file);
  t.not(Number(raw.readBigUInt64LE(0)) % 8, 0, 'the fixture header is unpadded');
  const { tensors, metadata } = await readSafetensors(file);
  t.deepEqual(metadata, py.metadata);
  t.deepEqual(Object.keys(tensors).sort(), Object.keys(py.tensors).sort());
  const dtypes: Record<string, string | undefined> = {
    F32: 'float32',
    F64: 'float64',
    I32: 'int32',
    I64: 'int64',
    U8: 'uint8',
    BOOL: 'bool',
  };
  for (const [name, p] of Object.entries(py.tensors)) {
    const x = tensors[name]!;
    t.is(x.dtype as string, dtypes[p.dtype] ?? 'unmapped', name);
    t.deepEqual(x.shape, p.shape, name);
    t.is(hexOf(x), p.hex, `${name}: bit-exact`);
    const ours = Array.from(x.toArray() as ArrayLike<number | bigint>);
    if (p.dtype === 'I64') t.deepEqual(ours.map(String), p.values, name);
    else t.deepEqual(ours.map(Number), p.values.map(pyNumber), name);
  }
  t.true(Object.is((tensors.b_f32!.toArray() as Float32Array)[1], -0));
  // The same bytes from memory (decodeSafetensors on an odd byteOffset) agree.
  const shifted = Buffer.alloc(raw.byteLength + 1);
  raw.copy(shifted, 1);
  const fromMemory = decodeSafetensors(shifted.subarray(1), file).tensors;
  for (const name of Object.keys(py.tensors)) t.is(hexOf(fromMemory[name]!), py.tensors[name]!.hex, name);
});

// ---------------------------------------------------------------------------------------------------------
// Rejections: every one an Error naming the file, never a crash

const f32x2 = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const rejections: { title: string; bytes: () => Buffer; message: RegExp }[] = [
  {
    title: 'a header length over 100 MB',
    bytes: () => rawFile('{}', new Uint8Array(16), BigInt(MAX_HEADER_BYTES + 1)),
    message: /header length 100000001 is over the 100000000-byte \(100 MB\) limit/,
  },
  {
    title: 'a header length of 2^64 - 1',
    bytes: () => rawFile('{}', new Uint8Array(0), 2n ** 64n - 1n),
    message: /header length 18446744073709551615 is over the .* limit/,
  },
  {
    title: 'a header length beyond the file',
    bytes: () => rawFile('{}', new Uint8Array(4), 1000n),
    message: /header length 1000 runs past the end of the file \(14 bytes\)/,
  },
  { title: 'a file shorter than 8 bytes', bytes: () => Buffer.from([1, 0, 0]), message: /has 3 bytes, fewer than/ },
  { title: 'invalid JSON', bytes: () => rawFile('{"a": {"dtype": "F32",'), message: /header is not valid JSON/ },
  {
    title: 'invalid UTF-8',
    bytes: () => rawFile(Buffer.from([0x7b, 0xff, 0x7d])),
    message: /header is not valid UTF-8/,
  },
  {
    title: 'a header starting with a byte-order mark',
    bytes: () => rawFile(Buffer.from('\ufeff{}', 'utf8')),
    message: /header is not valid JSON/,
  },
  {
    title: 'a JSON array header',
    bytes: () => rawFile('[1, 2]'),
    message: /header must be a JSON object, got an array/,
  },
  {
    title: 'offsets out of range',
    bytes: () => rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
    message: /tensor 'a' data_offsets \[0, 16\] are out of range: the data section has 8 bytes/,
  },
  {
    title: 'overlapping offsets',
    bytes: () => rawFile({ a: f32x2, b: { ...f32x2, data_offsets: [4, 12] } }, new Uint8Array(12)),
    message: /tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/,
  },
  {
    title: 'the same range twice',
    bytes: () => rawFile({ a: f32x2, b: f32x2 }, new Uint8Array(8)),
    message: /tensors 'a' \[0, 8\] and 'b' \[0, 8\] overlap/,
  },
  {
    title: 'offsets that do not match shape x dtype',
    bytes: () => rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
    message: /tensor 'a' data_offsets \[0, 8\] hold 8 bytes, but shape \[3\] of F32 needs 12/,
  },
  {
    title: 'a huge shape',
    bytes: () => rawFile({ a: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, new Uint8Array(8)),
    message: /needs 9671406556917033397649408/,
  },
  {
    title: 'begin after end',
    bytes: () => rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [8, 0] } }, new Uint8Array(8)),
    message: /tensor 'a' has invalid data_offsets \[8,0\]/,
  },
  {
    title: 'a negative dimension',
    bytes: () => rawFile({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } }),
    message: /tensor 'a' has an invalid shape \[-1\]/,
  },
  {
    title: 'a gap between tensors',
    bytes: () => rawFile({ a: f32x2, b: { ...f32x2, data_offsets: [12, 20] } }, new Uint8Array(20)),
    message: /bytes \[8, 12\) of the data section belong to no tensor/,
  },
  {
    title: 'trailing bytes after the tensors',
    bytes: () => rawFile({ a: f32x2 }, new Uint8Array(9)),
    message: /the tensors end at byte 8 but the data section has 9 bytes/,
  },
  {
    title: 'an unknown dtype',
    bytes: () => rawFile({ a: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    message: /tensor 'a' has unknown or unsupported dtype "Q7" \(torchnode reads I64, F64, F32, I32, U8, BOOL\)/,
  },
  {
    title: 'a dtype torchnode does not hold (F16)',
    bytes: () => rawFile({ a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2)),
    message: /unsupported dtype "F16"/,
  },
  {
    title: 'a non-string metadata value',
    bytes: () => rawFile({ __metadata__: { epoch: 3 } }),
    message: /__metadata__ must map strings to strings, but 'epoch' is number 3/,
  },
  {
    title: 'a metadata array',
    bytes: () => rawFile({ __metadata__: ['a'] }),
    message: /__metadata__ must be an object mapping strings to strings, got an array/,
  },
  {
    title: 'a tensor entry that is not an object',
    bytes: () => rawFile({ a: 'F32' }),
    message: /tensor 'a' must be an object with dtype, shape and data_offsets/,
  },
];

for (const { title, bytes, message } of rejections) {
  test(`rejects ${title}, naming the file`, async (t) => {
    t.throws(() => decodeSafetensors(bytes(), 'bad.safetensors'), {
      message: new RegExp(`^bad\\.safetensors: .*${message.source}`),
    });
    const file = path.join(tempDir(t), 'bad.safetensors');
    fs.writeFileSync(file, bytes());
    await t.throwsAsync(readSafetensors(file), { message: new RegExp(`^${file}: .*${message.source}`) });
  });
}

test('rejects every truncation of a valid file', async (t) => {
  const whole = encodeSafetensors({ a: tn.randn([3, 4]), b: tn.tensor(new BigInt64Array([1n, 2n])) }, { k: 'v' });
  const file = path.join(tempDir(t), 'cut.safetensors');
  for (let length = 0; length < whole.byteLength; length++) {
    const cut = whole.subarray(0, length);
    const error = t.throws(() => decodeSafetensors(cut, 'cut.safetensors'));
    t.regex(error?.message ?? '', /^cut\.safetensors: .*truncated/, `length ${length}`);
  }
  fs.writeFileSync(file, whole.subarray(0, whole.byteLength - 1));
  await t.throwsAsync(readSafetensors(file), { message: /cut\.safetensors: .*out of range.*truncated/ });
});

test('a bogus header length is never allocated', async (t) => {
  // 90 MB claimed, 18 bytes present: must fail before any buffer of the claimed size exists.
  const file = path.join(tempDir(t), 'big.safetensors');
  fs.writeFileSync(file, rawFile('{}', new Uint8Array(8), 90_000_000n));
  const before = process.memoryUsage().arrayBuffers;
  await t.throwsAsync(readSafetensors(file), { message: /header length 90000000 runs past the end of the file/ });
  t.true(process.memoryUsage().arrayBuffers - before < 50_000_000);
});

test('a missing file gives the system error with its path', async (t) => {
  const file = path.join(tempDir(t), 'nope.safetensors');
  await t.throwsAsync(readSafetensors(file), { code: 'ENOENT', message: /nope\.safetensors/ });
});

test('writing rejects non-tensors, reserved names, disposed tensors and non-string metadata', (t) => {
  t.throws(() => encodeSafetensors({ a: [1, 2] as unknown as tn.Tensor }), {
    instanceOf: TypeError,
    message: /'a' is an array, not a Tensor/,
  });
  t.throws(() => encodeSafetensors({ __metadata__: tn.zeros([1]) }), { message: /'__metadata__' is reserved/ });
  const gone = tn.zeros([2]);
  gone.dispose();
  t.throws(() => encodeSafetensors({ gone }), { message: /tensor 'gone' has been disposed/ });
  t.throws(() => encodeSafetensors({}, { epoch: 3 as unknown as string }), {
    instanceOf: TypeError,
    message: /metadata values must be strings, but 'epoch' is number 3/,
  });
});

// ---------------------------------------------------------------------------------------------------------
// Atomic writes

test('writeFileAtomic writes bytes, text and chunk lists', async (t) => {
  const dir = tempDir(t);
  await writeFileAtomic(path.join(dir, 'a'), 'héllo');
  await writeFileAtomic(path.join(dir, 'b'), new Float32Array([1.5]));
  await writeFileAtomic(path.join(dir, 'c'), [Buffer.from('ab'), new Uint8Array([99])]);
  t.is(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'héllo');
  t.deepEqual([...fs.readFileSync(path.join(dir, 'b'))], [...new Uint8Array(new Float32Array([1.5]).buffer)]);
  t.is(fs.readFileSync(path.join(dir, 'c'), 'utf8'), 'abc');
  t.deepEqual(fs.readdirSync(dir).sort(), ['a', 'b', 'c']);
});

test('a failure midway leaves no temp file and no half file at the target', async (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'model.safetensors');
  const seen: { temps: number[]; target: string | null }[] = [];
  const failing = async (file: import('node:fs/promises').FileHandle): Promise<void> => {
    await writeAll(file, Buffer.alloc(1000, 1));
    // Mid-write: the bytes are in a temp file in the same folder, the target is untouched.
    const temps = fs.readdirSync(dir).filter((name) => /^\.model\.safetensors\.\d+\.[0-9a-f]+\.tmp$/.test(name));
    seen.push({
      temps: temps.map((name) => fs.statSync(path.join(dir, name)).size),
      target: fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null,
    });
    throw new Error('disk on fire');
  };
  await t.throwsAsync(writeFileAtomic(target, failing), { message: `could not write ${target}: disk on fire` });
  t.deepEqual(seen[0], { temps: [1000], target: null });
  t.deepEqual(fs.readdirSync(dir), [], 'nothing left: no target, no temp file');

  // With an old file in place, it survives the failed write unchanged.
  fs.writeFileSync(target, 'old contents');
  await t.throwsAsync(writeFileAtomic(target, failing), { message: /disk on fire/ });
  t.deepEqual(seen[1], { temps: [1000], target: 'old contents' });
  t.is(fs.readFileSync(target, 'utf8'), 'old contents');
  t.deepEqual(fs.readdirSync(dir), ['model.safetensors']);

  // And a successful write replaces it whole.
  await writeSafetensors(target, { w: tn.ones([3]) });
  t.deepEqual((await readSafetensors(target)).tensors.w!.tolist(), [1, 1, 1]);
  t.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
});

test('a failed rename (target is a folder) removes the temp file and keeps the error code', async (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'taken');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'keep'), 'x');
  const error = await t.throwsAsync(writeSafetensors(target, { w: tn.ones([2]) }), {
    message: new RegExp(`^could not write ${target}: `),
  });
  t.truthy((error as NodeJS.ErrnoException | undefined)?.code);
  t.deepEqual(fs.readdirSync(dir), ['taken']);
  t.deepEqual(fs.readdirSync(target), ['keep']);
});

test('writing into a missing folder fails naming the target and creates nothing', async (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'no', 'such', 'm.safetensors');
  await t.throwsAsync(writeSafetensors(target, { w: tn.ones([2]) }), {
    code: 'ENOENT',
    message: new RegExp(`could not write ${target}: ENOENT`),
  });
  t.deepEqual(fs.readdirSync(dir), []);
});

test('writeSafetensors snapshots the tensors at call time', async (t) => {
  const file = path.join(tempDir(t), 's.safetensors');
  const w = tn.tensor([1, 2, 3]);
  const pending = writeSafetensors(file, { w });
  w.dispose(); // gone before the asynchronous write runs
  await pending;
  t.deepEqual((await readSafetensors(file)).tensors.w!.tolist(), [1, 2, 3]);
});
