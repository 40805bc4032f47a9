// The CIFAR-10 binary format: file names, checksums, and reading a folder of batch files into tensors.
//
// Each batch file holds 10,000 records of 3,073 bytes: one label byte (0-9), then the 1,024 red, 1,024 green
// and 1,024 blue bytes of a 32x32 image, each plane row-major. All sizes (and, with verify, md5s) are checked
// first; native/cifar.cc then reads and decodes the files in one pass off the event loop into uint8 images and
// int64 labels, reporting the first label > 9. The TS path below (whole-file buffers, Tensor ops) is the
// fallback for an addon built without cifar.cc.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { native, type NativeTensor } from '../native';
import { Tensor, tensor } from '../tensor';

export const FOLDER = 'cifar-10-batches-bin';
export const ARCHIVE = 'cifar-10-binary.tar.gz';
export const ARCHIVE_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
export const ARCHIVE_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

export const TRAIN_FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
];
export const TEST_FILES = ['test_batch.bin'];
export const META_FILE = 'batches.meta.txt';
/** The seven members of the archive that are extracted (it also holds readme.html, which is not). */
export const MEMBERS = [...TRAIN_FILES, ...TEST_FILES, META_FILE];

/** md5 of each batch file, as published for the extracted official archive (and in shared/README.md). */
export const FILE_MD5: Readonly<Record<string, string>> = {
  'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
  'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
  'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
  'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
  'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
  'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
};

export const IMAGE_SIZE = 32;
export const CHANNELS = 3;
export const IMAGE_BYTES = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const RECORDS_PER_FILE = 10_000;
export const CLASS_COUNT = 10;

/** Memory layout of the images: [N, 32, 32, 3] (like keras.datasets), [N, 3, 32, 32] (like torchvision's
 *  tensors), or [N, 3072] holding the HWC flattening (what Keras' Flatten makes of the HWC arrays). */
export type Layout = 'hwc' | 'chw' | 'flat';

export interface Split {
  /** uint8 images, [N, 32, 32, 3] unless another layout was asked for. */
  x: Tensor;
  /** int64 class indices 0-9, [N]. */
  y: Tensor;
}

interface CifarBinding {
  cifarRead?: (
    paths: string[],
    recordsPerFile: number,
    layout: 'hwc' | 'chw',
  ) => Promise<{ x: NativeTensor; y: NativeTensor } | { badFile: number; badRecord: number; badLabel: number }>;
}

/** @internal Decodes records held in memory with Tensor ops: the path for an addon built without
 *  native/cifar.cc (about 3x slower than it: two whole-data copies, one strided). */
export function decodeRecords(bytes: Uint8Array, records: number, layout: 'hwc' | 'chw'): Split {
  const raw = tensor(bytes, { shape: [records, RECORD_BYTES], dtype: 'uint8' });
  try {
    const planes = raw.narrow(1, 1, IMAGE_BYTES).reshape([records, CHANNELS, IMAGE_SIZE, IMAGE_SIZE]);
    const x = layout === 'chw' ? planes.contiguous() : planes.permute([0, 2, 3, 1]).contiguous();
    planes.dispose();
    const labels = raw.narrow(1, 0, 1);
    const y = labels.reshape([records]).to('int64');
    labels.dispose();
    return { x, y };
  } finally {
    raw.dispose();
  }
}

export interface ReadOptions {
  /** Check every batch file's md5 against `checksums` (default: the official ones) before reading it. */
  verify?: boolean;
  layout?: Layout;
  /** @internal md5 by file name, for tests that verify generated files. */
  checksums?: Readonly<Record<string, string>>;
  /** @internal 'ops': read in TS and decode with Tensor ops instead of native/cifar.cc (to test both). */
  decoder?: 'native' | 'ops';
}

async function readWhole(file: string, into: Buffer, offset: number, length: number): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(into, offset + done, length - done, done);
      if (bytesRead === 0) throw new Error(`CIFAR-10: ${file} ended after ${done} bytes while reading it`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

function missing(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`CIFAR-10: ${file} is missing`, { cause: error });
  return new Error(`CIFAR-10: cannot read ${file} (${(error as Error).message})`, { cause: error });
}

/** Size of every file first (nothing is read before all are known to be well-formed in size). */
async function checkSizes(dir: string, names: readonly string[]): Promise<void> {
  const expected = RECORDS_PER_FILE * RECORD_BYTES;
  for (const name of names) {
    const file = path.join(dir, name);
    let size: number;
    try {
      const stat = await fsp.stat(file);
      if (!stat.isFile()) throw new Error(`CIFAR-10: ${file} is not a regular file`);
      size = stat.size;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('CIFAR-10:')) throw error;
      throw missing(file, error);
    }
    if (size !== expected) {
      throw new Error(
        `CIFAR-10: ${file} is ${size} bytes; a batch file is ${RECORDS_PER_FILE} records of ${RECORD_BYTES} bytes ` +
          `(${expected} bytes): the file is truncated or not a CIFAR-10 binary batch`,
      );
    }
  }
}

function badLabel(file: string, record: number, label: number): Error {
  return new Error(
    `CIFAR-10: ${file}: record ${record} (0-based) has label ${label}; labels are 0 to ${CLASS_COUNT - 1}`,
  );
}

function checkLabels(file: string, bytes: Buffer, start: number): void {
  for (let i = 0; i < RECORDS_PER_FILE; i++) {
    const label = bytes[start + i * RECORD_BYTES] as number;
    if (label >= CLASS_COUNT) throw badLabel(file, i, label);
  }
}

function checkMd5(file: string, actual: string, expected: string | undefined): void {
  if (expected === undefined) throw new Error(`CIFAR-10: no known md5 for ${file}`);
  if (actual !== expected) {
    throw new Error(
      `CIFAR-10: ${file} has md5 ${actual}, expected ${expected}: the file is corrupted or not the official ` +
        'CIFAR-10 binary batch (pass verify: false to load it anyway)',
    );
  }
}

/** TS reading and Tensor-op decoding (see decodeRecords). */
async function readSplitOps(files: readonly string[], layout: 'hwc' | 'chw', options: ReadOptions): Promise<Split> {
  const fileBytes = RECORDS_PER_FILE * RECORD_BYTES;
  const bytes = Buffer.allocUnsafe(files.length * fileBytes);
  await Promise.all(
    files.map(async (file, k) => {
      try {
        await readWhole(file, bytes, k * fileBytes, fileBytes);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('CIFAR-10:')) throw error;
        throw missing(file, error);
      }
    }),
  );
  files.forEach((file, k) => {
    checkLabels(file, bytes, k * fileBytes);
    if (options.verify) {
      const actual = createHash('md5')
        .update(bytes.subarray(k * fileBytes, (k + 1) * fileBytes))
        .digest('hex');
      checkMd5(file, actual, (options.checksums ?? FILE_MD5)[path.basename(file)]);
    }
  });
  return decodeRecords(bytes, files.length * RECORDS_PER_FILE, layout);
}

/**
 * Reads, checks and decodes the given batch files (in order) into one split. Every file's size (and, with
 * verify, md5) is checked before any image is decoded; a bad label stops the read and nothing is returned.
 */
export async function readSplit(dir: string, names: readonly string[], options: ReadOptions = {}): Promise<Split> {
  await checkSizes(dir, names);
  const files = names.map((name) => path.join(dir, name));
  const layout = options.layout ?? 'hwc';
  const decodeAs = layout === 'chw' ? 'chw' : 'hwc';
  const binding = native as unknown as CifarBinding;
  let result: Split;
  if (options.decoder !== 'ops' && typeof binding.cifarRead === 'function') {
    if (options.verify) {
      const sums = await Promise.all(
        files.map((file) => md5File(file).catch((error) => Promise.reject(missing(file, error)))),
      );
      files.forEach((file, k) =>
        checkMd5(file, sums[k] as string, (options.checksums ?? FILE_MD5)[names[k] as string]),
      );
    }
    const read = await binding.cifarRead(files, RECORDS_PER_FILE, decodeAs);
    if ('badFile' in read) throw badLabel(files[read.badFile] as string, read.badRecord, read.badLabel);
    result = { x: new Tensor(read.x), y: new Tensor(read.y) };
  } else {
    result = await readSplitOps(files, decodeAs, options);
  }
  if (layout !== 'flat') return result;
  const flat = result.x.reshape([result.y.shape[0] as number, IMAGE_BYTES]);
  result.x.dispose();
  return { x: flat, y: result.y };
}

/** Class names, one a line in batches.meta.txt (blank lines ignored). */
export async function readClasses(dir: string): Promise<string[]> {
  const file = path.join(dir, META_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw missing(file, error);
  }
  const classes = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (classes.length !== CLASS_COUNT) {
    throw new Error(`CIFAR-10: ${file} names ${classes.length} classes, expected ${CLASS_COUNT} (one a line)`);
  }
  return classes;
}

/** md5 of a file, streamed. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  const handle = await fsp.open(file, 'r');
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return hash.digest('hex');
}
