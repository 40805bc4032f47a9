// CIFAR-10-format files for the data tests: full-size batches (10,000 records of 3,073 bytes, as the format
// check demands) whose every byte is a known function of (file, record, row, column, channel), hand-made tar
// archives (so that a test can put in members `tar` itself would refuse to write: '../evil', links), and a
// local HTTP server to download them from.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export const RECORDS = 10_000;
export const RECORD_BYTES = 3073;
export const FILES = [
  'data_batch_1.bin',
  'data_batch_2.bin',
  'data_batch_3.bin',
  'data_batch_4.bin',
  'data_batch_5.bin',
  'test_batch.bin',
];
export const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const META = CLASSES.join('\n') + '\n\n';

/** The byte of channel `ch` at row `r`, column `c` of record `i` of file `f` (0-5, test_batch is 5). */
export function pixel(f: number, i: number, r: number, c: number, ch: number): number {
  return (i + f * 37 + r * 5 + c * 11 + ch * 67) & 255;
}

/** The label of record `i` of file `f`: every class appears, in a pattern that differs between files. */
export function label(f: number, i: number): number {
  return (i * 7 + f * 3 + Math.floor(i / 10)) % 10;
}

/** A whole batch file. Records only differ by a shift of all bytes, so 256 templates make it fast. */
export function batchBytes(f: number): Buffer {
  const templates: Buffer[] = [];
  for (let shift = 0; shift < 256; shift++) {
    const image = Buffer.alloc(3072);
    for (let ch = 0; ch < 3; ch++) {
      for (let r = 0; r < 32; r++) {
        for (let c = 0; c < 32; c++) image[ch * 1024 + r * 32 + c] = pixel(f, shift, r, c, ch);
      }
    }
    templates.push(image);
  }
  const out = Buffer.allocUnsafe(RECORDS * RECORD_BYTES);
  for (let i = 0; i < RECORDS; i++) {
    out[i * RECORD_BYTES] = label(f, i);
    (templates[i & 255] as Buffer).copy(out, i * RECORD_BYTES + 1);
  }
  return out;
}

export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

let cached: Promise<{ files: Map<string, Buffer>; md5s: Record<string, string> }> | undefined;

/** The six generated batch files (made once per test process) and their md5s. */
export function generated(): Promise<{ files: Map<string, Buffer>; md5s: Record<string, string> }> {
  cached ??= Promise.resolve().then(() => {
    const files = new Map<string, Buffer>();
    const md5s: Record<string, string> = {};
    FILES.forEach((name, f) => {
      const bytes = batchBytes(f);
      files.set(name, bytes);
      md5s[name] = md5(bytes);
    });
    return { files, md5s };
  });
  return cached;
}

/** Writes the dataset into `dir` (created); `replace` swaps or (with null) leaves out files. */
export async function writeDataset(dir: string, replace: Record<string, Buffer | string | null> = {}): Promise<string> {
  const { files } = await generated();
  await fsp.mkdir(dir, { recursive: true });
  const all: Record<string, Buffer | string | null> = { 'batches.meta.txt': META, ...Object.fromEntries(files) };
  for (const [name, data] of Object.entries({ ...all, ...replace })) {
    if (data !== null) await fsp.writeFile(path.join(dir, name), data);
  }
  return dir;
}

export interface TarEntry {
  name: string;
  type?: 'file' | 'symlink' | 'hardlink' | 'dir';
  data?: Buffer | string;
  linkname?: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** An uncompressed ustar stream, written by hand: names are taken verbatim (no sanitizing). */
export function tarBytes(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === undefined || entry.type === 'file' ? Buffer.from(entry.data ?? '') : Buffer.alloc(0);
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write(octal(entry.type === 'dir' ? 0o755 : 0o644, 8), 100, 'ascii');
    header.write(octal(0, 8), 108, 'ascii');
    header.write(octal(0, 8), 116, 'ascii');
    header.write(octal(data.length, 12), 124, 'ascii');
    header.write(octal(1_700_000_000, 12), 136, 'ascii');
    header.write('        ', 148, 'ascii');
    const flag = { file: '0', hardlink: '1', symlink: '2', dir: '5' }[entry.type ?? 'file'];
    header.write(flag, 156, 'ascii');
    if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
    header.write('ustar\0', 257, 'ascii');
    header.write('00', 263, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(octal(sum, 7) + ' ', 148, 'ascii');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The members of the official archive, from the generated files (readme.html included, as there). */
export async function officialEntries(): Promise<TarEntry[]> {
  const { files } = await generated();
  return [
    { name: 'cifar-10-batches-bin/', type: 'dir' },
    ...[...files].map(([name, data]) => ({ name: `cifar-10-batches-bin/${name}`, data })),
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: META },
    { name: 'cifar-10-batches-bin/readme.html', data: '<html>not extracted</html>' },
  ];
}

export function gzip(tar: Buffer): Buffer {
  return zlib.gzipSync(tar, { level: 1 });
}

export interface Server {
  /** Base URL, e.g. http://127.0.0.1:1234/ */
  url: string;
  /** Paths requested so far (with their query, which routing ignores: tests tag their requests with it). */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A server on 127.0.0.1: `routes` maps a path to a body. A route whose body is { truncateAt } sends a
 * Content-Length for the whole body but closes the connection after `truncateAt` bytes.
 */
export async function serve(routes: Record<string, Buffer | { body: Buffer; truncateAt: number }>): Promise<Server> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const route = routes[(req.url ?? '').split('?')[0] as string];
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    if (Buffer.isBuffer(route)) {
      res.writeHead(200, { 'content-length': route.length, 'content-type': 'application/gzip' }).end(route);
      return;
    }
    res.writeHead(200, { 'content-length': route.body.length });
    res.write(route.body.subarray(0, route.truncateAt), () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
