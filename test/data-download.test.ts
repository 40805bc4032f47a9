// The download path of cifar10.load against a local HTTP server: a good archive (and the cache reuse after it),
// a wrong checksum, a truncated transfer, members that must not be extracted ('../evil', absolute paths,
// links), a user-placed archive, the URL override, and the offline error. Archives are built by hand from
// generated full-size batches.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { datasets } from '../lib/data';
import { progressBar } from '../lib/data/download';
import type { Tensor } from '../lib/tensor';
import {
  type Server,
  closedPort,
  generated,
  gzip,
  label,
  md5,
  officialEntries,
  serve,
  tarBytes,
} from './helpers/cifar-files';

const { cifar10 } = datasets;

delete process.env.TORCHNODE_CIFAR10_DIR;
delete process.env.TORCHNODE_CIFAR10_URL;

const root = path.join(os.tmpdir(), `torchnode-download-${process.pid}`);
let server: Server;
let good: Buffer;
let evil: Buffer;
let checksums: { archive: string; files: Record<string, string> };
let evilChecksums: typeof checksums;

test.before(async () => {
  const { md5s } = await generated();
  good = gzip(tarBytes(await officialEntries()));
  // Members that must never be written, in front of the good ones (a second gzip member: gzip allows that).
  const bad = tarBytes([
    { name: '../evil', data: 'escaped' },
    { name: '../../evil-deeper', data: 'escaped' },
    { name: `${root}/evil-absolute`, data: 'escaped' },
    { name: 'cifar-10-batches-bin/data_batch_1.bin', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'cifar-10-batches-bin/test_batch.bin', type: 'hardlink', linkname: '../evil' },
    { name: 'cifar-10-batches-bin/../../evil-dotdot', data: 'escaped' },
  ]);
  evil = Buffer.concat([gzip(bad.subarray(0, bad.length - 1024)), good]);
  checksums = { archive: md5(good), files: md5s };
  evilChecksums = { archive: md5(evil), files: md5s };
  server = await serve({
    '/cifar-10-binary.tar.gz': good,
    '/evil.tar.gz': evil,
    '/truncated.tar.gz': { body: good, truncateAt: Math.floor(good.length / 2) },
    '/short.tar.gz': good.subarray(0, good.length - 1000),
    '/links-only.tar.gz': gzip(
      tarBytes([{ name: 'cifar-10-batches-bin/data_batch_1.bin', type: 'symlink', linkname: '/etc/passwd' }]),
    ),
  });
});

test.after.always(async () => {
  await server?.close();
  await fsp.rm(root, { recursive: true, force: true });
});

let count = 0;
async function freshCache(): Promise<string> {
  const dir = path.join(root, `case-${++count}`, 'cache');
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  return dir;
}

function disposeAll(d: { train: { x: Tensor; y: Tensor }; test: { x: Tensor; y: Tensor } }): void {
  for (const t of [d.train.x, d.train.y, d.test.x, d.test.y]) t.dispose();
}

/** Everything under `dir`, relative, sorted ('' when it does not exist). */
function listing(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

const SEVEN = [
  'cifar-10-batches-bin',
  'cifar-10-batches-bin/batches.meta.txt',
  'cifar-10-batches-bin/data_batch_1.bin',
  'cifar-10-batches-bin/data_batch_2.bin',
  'cifar-10-batches-bin/data_batch_3.bin',
  'cifar-10-batches-bin/data_batch_4.bin',
  'cifar-10-batches-bin/data_batch_5.bin',
  'cifar-10-batches-bin/test_batch.bin',
];

test('a good archive downloads with progress, is verified and extracted into the cache; the second load does no network', async (t) => {
  const cacheDir = await freshCache();
  // A temporary folder left by a killed process: removed by this download.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
  const stale = path.join(cacheDir, `.cifar10-tmp-${dead}-abc123`);
  await fsp.mkdir(stale, { recursive: true });
  await fsp.writeFile(path.join(stale, 'cifar-10-binary.tar.gz'), 'half a download');
  const progress: { receivedBytes: number; totalBytes: number | undefined }[] = [];
  const url = `${server.url}cifar-10-binary.tar.gz?good`;
  const requests = () => server.requests.filter((r) => r === '/cifar-10-binary.tar.gz?good').length;
  const d = await cifar10.load({
    cacheDir,
    url,
    checksums,
    onProgress: (p) => progress.push({ ...p }),
  });
  t.is(requests(), 1);
  t.false(fs.existsSync(stale));
  t.deepEqual(d.source, { kind: 'download', dir: path.join(cacheDir, 'cifar-10-batches-bin') });
  t.deepEqual(d.train.x.shape, [50_000, 32, 32, 3]);
  t.is(Number(d.test.y.narrow(0, 77, 1).item()), label(5, 77));
  t.deepEqual(listing(cacheDir), SEVEN, 'only the seven members (no readme.html, no temporary files)');
  t.true(progress.length > 2);
  t.deepEqual(progress.at(-1), { receivedBytes: good.length, totalBytes: good.length });
  t.deepEqual(progress[0], { receivedBytes: 0, totalBytes: good.length });
  const firstImages = d.test.x.toArray() as Uint8Array;
  disposeAll(d);

  const again = await cifar10.load({ cacheDir, url, checksums });
  t.is(requests(), 1, 'no second request');
  t.is(again.source.kind, 'cache');
  t.is(Buffer.compare(again.test.x.toArray() as Uint8Array, firstImages), 0);
  disposeAll(again);
});

test.serial(
  'TORCHNODE_CIFAR10_URL overrides the official URL; one ending in / is a folder holding the archive',
  async (t) => {
    const cacheDir = await freshCache();
    process.env.TORCHNODE_CIFAR10_URL = server.url;
    const before = server.requests.length;
    try {
      const d = await cifar10.load({ cacheDir, checksums });
      t.is(d.source.kind, 'download');
      t.deepEqual(server.requests.slice(before), ['/cifar-10-binary.tar.gz']);
      disposeAll(d);
    } finally {
      delete process.env.TORCHNODE_CIFAR10_URL;
    }
  },
);

test('the official archive md5 is checked before extraction: a wrong one keeps nothing', async (t) => {
  const cacheDir = await freshCache();
  const error = await t.throwsAsync(cifar10.load({ cacheDir, url: `${server.url}cifar-10-binary.tar.gz` }));
  t.regex(
    error.message,
    /^CIFAR-10: the archive downloaded from http:\/\/127\.0\.0\.1:\d+\/cifar-10-binary\.tar\.gz has md5 [0-9a-f]{32}, expected c32a1d4ab5d03f1284b67883e8d87530/,
  );
  t.regex(error.message, /TORCHNODE_CIFAR10_DIR/);
  t.deepEqual(listing(cacheDir), [], 'no archive, no folder, no temporary files');
});

test('a batch md5 that does not match after extraction keeps nothing', async (t) => {
  const cacheDir = await freshCache();
  const files = { ...checksums.files, 'data_batch_5.bin': 'f'.repeat(32) };
  await t.throwsAsync(
    cifar10.load({ cacheDir, url: `${server.url}cifar-10-binary.tar.gz`, checksums: { ...checksums, files } }),
    {
      message: /cifar-10-batches-bin\/data_batch_5\.bin in .* has md5 [0-9a-f]{32}, expected f{32}/,
    },
  );
  t.deepEqual(listing(cacheDir), []);
});

test('a transfer cut off mid-way is one Error and leaves no half file', async (t) => {
  const cacheDir = await freshCache();
  const error = await t.throwsAsync(cifar10.load({ cacheDir, url: `${server.url}truncated.tar.gz`, checksums }));
  t.regex(error.message, /^CIFAR-10: could not download http:\/\/127\.0\.0\.1:\d+\/truncated\.tar\.gz \(/);
  t.regex(error.message, /pass \{ dir: /);
  t.deepEqual(listing(cacheDir), []);
});

test('a short archive (complete transfer of fewer bytes) fails its md5', async (t) => {
  const cacheDir = await freshCache();
  await t.throwsAsync(cifar10.load({ cacheDir, url: `${server.url}short.tar.gz`, checksums }), {
    message: /short\.tar\.gz has md5 [0-9a-f]{32}, expected [0-9a-f]{32}/,
  });
  t.deepEqual(listing(cacheDir), []);
});

test('members outside the seven (../evil, absolute paths, links) are never written', async (t) => {
  const cacheDir = await freshCache();
  const caseDir = path.dirname(cacheDir);
  const d = await cifar10.load({ cacheDir, url: `${server.url}evil.tar.gz`, checksums: evilChecksums });
  t.is(d.source.kind, 'download');
  t.deepEqual(listing(cacheDir), SEVEN);
  t.deepEqual(listing(caseDir), ['cache', ...SEVEN.map((p) => `cache/${p}`)]);
  t.false(fs.existsSync(path.join(root, 'evil-absolute')));
  t.false(fs.existsSync(path.join(root, 'evil')));
  t.false(fs.existsSync(path.join(root, 'evil-deeper')));
  t.false(fs.existsSync(path.join(root, 'evil-dotdot')));
  t.false(fs.lstatSync(path.join(cacheDir, 'cifar-10-batches-bin', 'data_batch_1.bin')).isSymbolicLink());
  t.is(Number(d.train.y.narrow(0, 12_345, 1).item()), label(1, 2_345));
  disposeAll(d);
});

test('an archive whose batch is only a symlink is rejected, naming the member', async (t) => {
  const cacheDir = await freshCache();
  const links = gzip(
    tarBytes([{ name: 'cifar-10-batches-bin/data_batch_1.bin', type: 'symlink', linkname: '/etc/passwd' }]),
  );
  await t.throwsAsync(
    cifar10.load({ cacheDir, url: `${server.url}links-only.tar.gz`, checksums: { ...checksums, archive: md5(links) } }),
    { message: /has no regular file cifar-10-batches-bin\/data_batch_1\.bin/ },
  );
  t.deepEqual(listing(cacheDir), []);
});

test('an archive put in the cache folder is verified and extracted, without network, and left in place', async (t) => {
  const cacheDir = await freshCache();
  await fsp.mkdir(cacheDir, { recursive: true });
  await fsp.writeFile(path.join(cacheDir, 'cifar-10-binary.tar.gz'), good);
  const port = await closedPort();
  const d = await cifar10.load({ cacheDir, url: `http://127.0.0.1:${port}/x.tar.gz`, checksums });
  t.is(d.source.kind, 'archive');
  t.deepEqual(listing(cacheDir), ['cifar-10-binary.tar.gz', ...SEVEN].sort());
  disposeAll(d);

  const other = await freshCache();
  await fsp.mkdir(other, { recursive: true });
  await fsp.writeFile(path.join(other, 'cifar-10-binary.tar.gz'), good.subarray(0, 1000));
  await t.throwsAsync(cifar10.load({ cacheDir: other, checksums }), {
    message: new RegExp(`${other}/cifar-10-binary\\.tar\\.gz has md5 [0-9a-f]{32}, expected ${checksums.archive}`),
  });
});

test('offline: one Error that names the URL, the cause and the three ways to give the data', async (t) => {
  const cacheDir = await freshCache();
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/cifar-10-binary.tar.gz`;
  const error = await t.throwsAsync(cifar10.load({ cacheDir, url }));
  t.is(
    error.message,
    `CIFAR-10: could not download ${url} (connect ECONNREFUSED 127.0.0.1:${port}). Give the data another way: ` +
      'pass { dir: "/path/to/cifar-10-batches-bin" } to cifar10.load(), set TORCHNODE_CIFAR10_DIR=/path/to/cifar-10-batches-bin, ' +
      `or put cifar-10-binary.tar.gz (from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz) at ${path.join(cacheDir, 'cifar-10-binary.tar.gz')}.`,
  );
  t.deepEqual(listing(cacheDir), []);
  const http404 = await t.throwsAsync(cifar10.load({ cacheDir, url: `${server.url}nothing-here.tar.gz` }));
  t.regex(
    http404.message,
    /could not download .* \(HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/nothing-here\.tar\.gz\)\. Give the data/,
  );
  const off = await t.throwsAsync(cifar10.load({ cacheDir, download: false }));
  t.regex(
    off.message,
    /^CIFAR-10: no copy found \(.*cifar-10-batches-bin does not exist\) and download is off\. Give the data another way/,
  );
});

test('the TTY progress bar draws a bar with percentage and sizes, and ends its line when done', (t) => {
  const written: string[] = [];
  const bar = progressBar({ write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream);
  bar({ receivedBytes: 0, totalBytes: 170_000_000 });
  bar({ receivedBytes: 1, totalBytes: 170_000_000 }); // within 100 ms of the last draw: skipped
  bar({ receivedBytes: 170_000_000, totalBytes: 170_000_000 });
  t.deepEqual(written, [
    `\rCIFAR-10 [${' '.repeat(30)}]   0% 0.0/170.0 MB`,
    `\rCIFAR-10 [${'#'.repeat(30)}] 100% 170.0/170.0 MB\n`,
  ]);
});
