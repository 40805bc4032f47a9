// The real CIFAR-10 in ../shared/cifar10/cifar-10-batches-bin (skipped, saying so, when it is absent):
// official md5s, 5,000 images per class in train and 1,000 in test, the first training labels.
import * as fs from 'node:fs';
import * as path from 'node:path';
import test from 'ava';
import { datasets } from '../lib/data';
import { md5File } from '../lib/data/format';

const dir = path.resolve(__dirname, '..', '..', 'shared', 'cifar10', 'cifar-10-batches-bin');
const present = fs.existsSync(path.join(dir, 'data_batch_1.bin'));
const real = present ? test : test.skip;
if (!present) console.log(`data-real: skipped, the real CIFAR-10 is not at ${dir}`);

const OFFICIAL_MD5 = {
  'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
  'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
  'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
  'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
  'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
  'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
};

function counts(y: BigInt64Array): number[] {
  const out = new Array<number>(10).fill(0);
  for (const v of y) out[Number(v)]!++;
  return out;
}

real('the real files have the official md5s', async (t) => {
  for (const [name, expected] of Object.entries(OFFICIAL_MD5))
    t.is(await md5File(path.join(dir, name)), expected, name);
});

real('real data: verified load, 5,000 images per class in train, 1,000 in test, first labels', async (t) => {
  const d = await datasets.cifar10.load({ dir, verify: true });
  t.deepEqual(d.train.x.shape, [50_000, 32, 32, 3]);
  t.deepEqual(d.test.x.shape, [10_000, 32, 32, 3]);
  t.deepEqual(d.classes, ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  t.deepEqual(counts(d.train.y.toArray() as BigInt64Array), new Array(10).fill(5_000));
  t.deepEqual(counts(d.test.y.toArray() as BigInt64Array), new Array(10).fill(1_000));
  t.deepEqual(d.train.y.narrow(0, 0, 10).tolist(), [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
  // The first training image's top-left pixel, read straight from the file (R, G and B planes).
  const bytes = fs.readFileSync(path.join(dir, 'data_batch_1.bin')).subarray(0, 3073);
  t.deepEqual(d.train.x.narrow(0, 0, 1).reshape([1024, 3]).narrow(0, 0, 1).tolist(), [
    [bytes[1], bytes[1025], bytes[2049]],
  ]);
  for (const s of [d.train, d.test]) {
    s.x.dispose();
    s.y.dispose();
  }
});
