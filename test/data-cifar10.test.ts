// cifar10.load on CIFAR-format files the test writes itself: where each byte lands (HWC, CHW, flat), labels,
// class names, the source order (dir, env variable, cache), and every bad-file case (size, label, missing
// file, md5) with the message naming the file and nothing left loaded.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { Tensor } from '../lib/tensor';
import { datasets } from '../lib/data';
import { CLASSES, FILES, RECORD_BYTES, generated, label, pixel, writeDataset } from './helpers/cifar-files';

const { cifar10 } = datasets;

delete process.env.TORCHNODE_CIFAR10_DIR;
delete process.env.TORCHNODE_CIFAR10_URL;

const root = path.join(os.tmpdir(), `torchnode-data-${process.pid}`);
let good: string;

test.before(async () => {
  good = await writeDataset(path.join(root, 'good'));
});

test.after.always(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** A dataset folder that is the good one except for `replace` (files written, or left out with null). */
async function variant(name: string, replace: Record<string, Buffer | string | null>): Promise<string> {
  const dir = path.join(root, name);
  await fsp.mkdir(dir, { recursive: true });
  for (const file of [...FILES, 'batches.meta.txt']) {
    if (file in replace) {
      const data = replace[file];
      if (data !== null && data !== undefined) await fsp.writeFile(path.join(dir, file), data);
    } else {
      await fsp.symlink(path.join(good, file), path.join(dir, file));
    }
  }
  return dir;
}

function disposeAll(d: { train: { x: Tensor; y: Tensor }; test: { x: Tensor; y: Tensor } }): void {
  for (const t of [d.train.x, d.train.y, d.test.x, d.test.y]) t.dispose();
}

/** Record `i` (0-based in its split) of a split made of files `first` …, as the generator wrote it. */
function fileOf(split: 'train' | 'test', i: number): { f: number; k: number } {
  return split === 'train' ? { f: Math.floor(i / 10_000), k: i % 10_000 } : { f: 5, k: i };
}

const SAMPLES = [0, 1, 255, 256, 9_999, 10_000, 23_456, 49_999];

test('HWC layout: the byte of channel ch at row r, column c of a record lands at x[i, r, c, ch]', async (t) => {
  const d = await cifar10.load({ dir: good });
  t.deepEqual(d.train.x.shape, [50_000, 32, 32, 3]);
  t.deepEqual(d.test.x.shape, [10_000, 32, 32, 3]);
  t.is(d.train.x.dtype, 'uint8');
  t.deepEqual(d.source, { kind: 'dir', dir: good });
  const check = (split: 'train' | 'test', x: Tensor, samples: number[]) => {
    for (const i of samples) {
      const image = x.narrow(0, i, 1).toArray() as Uint8Array;
      const { f, k } = fileOf(split, i);
      let wrong = 0;
      for (let r = 0; r < 32; r++) {
        for (let c = 0; c < 32; c++) {
          for (let ch = 0; ch < 3; ch++) if (image[(r * 32 + c) * 3 + ch] !== pixel(f, k, r, c, ch)) wrong++;
        }
      }
      t.is(wrong, 0, `${split} image ${i}`);
    }
  };
  check('train', d.train.x, SAMPLES);
  check('test', d.test.x, [0, 5, 9_999]);
  disposeAll(d);
});

test('labels are int64, every record in file order; classes come from batches.meta.txt', async (t) => {
  const d = await cifar10.load({ dir: good });
  t.is(d.train.y.dtype, 'int64');
  const train = d.train.y.toArray() as BigInt64Array;
  const testY = d.test.y.toArray() as BigInt64Array;
  t.is(train.length, 50_000);
  let wrong = 0;
  for (let i = 0; i < 50_000; i++) if (Number(train[i]) !== label(Math.floor(i / 10_000), i % 10_000)) wrong++;
  for (let i = 0; i < 10_000; i++) if (Number(testY[i]) !== label(5, i)) wrong++;
  t.is(wrong, 0);
  t.deepEqual(d.classes, CLASSES);
  disposeAll(d);
});

test('CHW and flat layouts, toCHW / toHWC / flatten: flat is the HWC flattening, (r * 32 + c) * 3 + ch', async (t) => {
  const hwc = await cifar10.load({ dir: good });
  const chw = await cifar10.load({ dir: good, layout: 'chw' });
  const flat = await cifar10.load({ dir: good, layout: 'flat' });
  t.deepEqual(chw.test.x.shape, [10_000, 3, 32, 32]);
  t.deepEqual(flat.train.x.shape, [50_000, 3072]);
  const i = 1234;
  const c3 = chw.test.x.narrow(0, i, 1).toArray() as Uint8Array;
  const f3 = flat.test.x.narrow(0, i, 1).toArray() as Uint8Array;
  let wrong = 0;
  for (let ch = 0; ch < 3; ch++) {
    for (let r = 0; r < 32; r++) {
      for (let c = 0; c < 32; c++) {
        if (c3[ch * 1024 + r * 32 + c] !== pixel(5, i, r, c, ch)) wrong++;
        if (f3[(r * 32 + c) * 3 + ch] !== pixel(5, i, r, c, ch)) wrong++;
      }
    }
  }
  t.is(wrong, 0);
  const same = (a: Tensor, b: Tensor) => Buffer.compare(a.toArray() as Uint8Array, b.toArray() as Uint8Array) === 0;
  const converted = cifar10.toCHW(hwc.test.x);
  t.true(same(converted, chw.test.x));
  t.true(same(cifar10.toHWC(converted), hwc.test.x));
  t.true(same(cifar10.flatten(hwc.test.x), flat.test.x));
  t.deepEqual(cifar10.flatten(hwc.test.x).shape, [10_000, 3072]);
  t.throws(() => cifar10.toCHW(chw.test.x), {
    message: /toCHW: expected images of shape \[N, 32, 32, 3\], got \[10000, 3, 32, 32\]/,
  });
  t.throws(() => cifar10.flatten(hwc.test.y), { message: /flatten: expected \[N, …\] images of 3072 values/ });
  await t.throwsAsync(cifar10.load({ dir: good, layout: 'nhwc' as 'hwc' }), {
    message: /layout must be 'hwc', 'chw' or 'flat'/,
  });
  for (const d of [hwc, chw, flat]) disposeAll(d);
});

test('the Tensor-op decoder (for an addon without native/cifar.cc) gives the same tensors', async (t) => {
  for (const layout of ['hwc', 'chw'] as const) {
    const a = await cifar10.load({ dir: good, layout });
    const b = await cifar10.load({ dir: good, layout, decoder: 'ops' });
    t.deepEqual(b.train.x.shape, a.train.x.shape);
    t.is(Buffer.compare(a.train.x.toArray() as Uint8Array, b.train.x.toArray() as Uint8Array), 0, layout);
    t.is(Buffer.compare(a.test.x.toArray() as Uint8Array, b.test.x.toArray() as Uint8Array), 0, layout);
    t.deepEqual(b.train.y.toArray(), a.train.y.toArray());
    t.is(b.train.y.dtype, 'int64');
    disposeAll(a);
    disposeAll(b);
  }
});

test('dir may be the folder above cifar-10-batches-bin', async (t) => {
  const parent = path.join(root, 'parent');
  await fsp.mkdir(parent, { recursive: true });
  await fsp.symlink(good, path.join(parent, 'cifar-10-batches-bin'));
  const d = await cifar10.load({ dir: parent });
  t.is(d.source.dir, path.join(parent, 'cifar-10-batches-bin'));
  t.is(Number(d.train.y.narrow(0, 3, 1).item()), label(0, 3));
  disposeAll(d);
});

test.serial('TORCHNODE_CIFAR10_DIR is used when no dir is given, and dir wins over it', async (t) => {
  const other = await variant('env-other', { 'batches.meta.txt': CLASSES.map((c) => c.toUpperCase()).join('\n') });
  process.env.TORCHNODE_CIFAR10_DIR = other;
  try {
    const fromEnv = await cifar10.load({ cacheDir: path.join(root, 'no-cache'), download: false });
    t.is(fromEnv.source.kind, 'env');
    t.is(fromEnv.classes[0], 'AIRPLANE');
    disposeAll(fromEnv);
    const fromDir = await cifar10.load({ dir: good });
    t.is(fromDir.source.kind, 'dir');
    t.is(fromDir.classes[0], 'airplane');
    disposeAll(fromDir);
  } finally {
    delete process.env.TORCHNODE_CIFAR10_DIR;
  }
});

test('the cache folder is used when present', async (t) => {
  const cacheDir = path.join(root, 'cache-present');
  await fsp.mkdir(cacheDir, { recursive: true });
  await fsp.symlink(good, path.join(cacheDir, 'cifar-10-batches-bin'));
  const d = await cifar10.load({ cacheDir, url: 'http://127.0.0.1:9/never-asked' });
  t.deepEqual(d.source, { kind: 'cache', dir: path.join(cacheDir, 'cifar-10-batches-bin') });
  disposeAll(d);
});

test('XDG_CACHE_HOME sets the default cache folder (absolute paths only)', (t) => {
  const before = process.env.XDG_CACHE_HOME;
  try {
    process.env.XDG_CACHE_HOME = '/some/cache';
    t.is(cifar10.defaultCacheDir(), '/some/cache/torchnode');
    process.env.XDG_CACHE_HOME = 'relative/cache';
    t.is(cifar10.defaultCacheDir(), path.join(os.homedir(), '.cache', 'torchnode'));
  } finally {
    if (before === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = before;
  }
});

// ---------------------------------------------------------------- bad files

test('a batch one byte short, or one record long, is an Error naming the file and its size', async (t) => {
  const { files } = await generated();
  const batch3 = files.get('data_batch_3.bin') as Buffer;
  const short = await variant('short', { 'data_batch_3.bin': batch3.subarray(0, batch3.length - 1) });
  await t.throwsAsync(cifar10.load({ dir: short }), {
    message: new RegExp(`${short}/data_batch_3\\.bin is 30729999 bytes; a batch file is 10000 records of 3073 bytes`),
  });
  const long = await variant('long', { 'test_batch.bin': Buffer.concat([batch3, batch3.subarray(0, RECORD_BYTES)]) });
  await t.throwsAsync(cifar10.load({ dir: long }), { message: /test_batch\.bin is 30733073 bytes/ });
  const empty = await variant('empty', { 'data_batch_1.bin': Buffer.alloc(0) });
  await t.throwsAsync(cifar10.load({ dir: empty }), { message: /data_batch_1\.bin is 0 bytes/ });
});

test('a label byte > 9 is an Error naming the file and the record (native and Tensor-op paths)', async (t) => {
  const { files } = await generated();
  const bad = Buffer.from(files.get('data_batch_2.bin') as Buffer);
  bad[4321 * RECORD_BYTES] = 10;
  bad[5000 * RECORD_BYTES] = 255; // a later bad record: the first one is reported
  const dir = await variant('label', { 'data_batch_2.bin': bad });
  const message = new RegExp(`${dir}/data_batch_2\\.bin: record 4321 \\(0-based\\) has label 10; labels are 0 to 9`);
  await t.throwsAsync(cifar10.load({ dir }), { message });
  await t.throwsAsync(cifar10.load({ dir, decoder: 'ops' }), { message });
  const last = Buffer.from(files.get('test_batch.bin') as Buffer);
  last[9_999 * RECORD_BYTES] = 200;
  const dir2 = await variant('label-last', { 'test_batch.bin': last });
  await t.throwsAsync(cifar10.load({ dir: dir2 }), {
    message: /test_batch\.bin: record 9999 \(0-based\) has label 200/,
  });
});

test.serial('a bad test batch disposes the training tensors already loaded', async (t) => {
  const { files } = await generated();
  const last = Buffer.from(files.get('test_batch.bin') as Buffer);
  last[7 * RECORD_BYTES] = 12;
  const dir = await variant('half-loaded', { 'test_batch.bin': last });
  const disposed: string[] = [];
  const original = Tensor.prototype.dispose;
  Tensor.prototype.dispose = function (this: Tensor) {
    if (!this.isDisposed) disposed.push(`${this.dtype}[${this.shape.join(',')}]`);
    original.call(this);
  };
  try {
    await t.throwsAsync(cifar10.load({ dir }), { message: /test_batch\.bin: record 7/ });
  } finally {
    Tensor.prototype.dispose = original;
  }
  t.true(disposed.includes('uint8[50000,32,32,3]'), disposed.join(' '));
  t.true(disposed.includes('int64[50000]'), disposed.join(' '));
});

test('a missing batch file or batches.meta.txt is an Error naming it', async (t) => {
  const noBatch = await variant('no-batch', { 'data_batch_4.bin': null });
  await t.throwsAsync(cifar10.load({ dir: noBatch }), { message: `CIFAR-10: ${noBatch}/data_batch_4.bin is missing` });
  const noMeta = await variant('no-meta', { 'batches.meta.txt': null });
  await t.throwsAsync(cifar10.load({ dir: noMeta }), { message: `CIFAR-10: ${noMeta}/batches.meta.txt is missing` });
  const nine = await variant('nine-classes', { 'batches.meta.txt': CLASSES.slice(0, 9).join('\n') });
  await t.throwsAsync(cifar10.load({ dir: nine }), { message: /batches\.meta\.txt names 9 classes, expected 10/ });
  await t.throwsAsync(cifar10.load({ dir: path.join(root, 'does-not-exist') }), {
    message: /batches\.meta\.txt is missing/,
  });
});

test('verify: true checks each batch md5 (official ones by default) and names the first wrong file', async (t) => {
  await t.throwsAsync(cifar10.load({ dir: good, verify: true }), {
    message: new RegExp(`${good}/data_batch_1\\.bin has md5 [0-9a-f]{32}, expected 5dd7e06a14cb22eb9f671a540d1b7c25`),
  });
  const { md5s } = await generated();
  const d = await cifar10.load({ dir: good, verify: true, checksums: { archive: '', files: md5s } });
  t.is(d.train.x.shape[0], 50_000);
  disposeAll(d);
  const oneWrong = { ...md5s, 'test_batch.bin': '0'.repeat(32) };
  for (const decoder of ['native', 'ops'] as const) {
    await t.throwsAsync(
      cifar10.load({ dir: good, verify: true, decoder, checksums: { archive: '', files: oneWrong } }),
      {
        message: /test_batch\.bin has md5 [0-9a-f]{32}, expected 0{32}/,
      },
    );
  }
});
