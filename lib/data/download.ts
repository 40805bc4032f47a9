// Getting the official archive into the cache: a streamed HTTP(S) download (md5 computed on the way, progress
// reported), the archive's md5 checked before anything is extracted, extraction of only the seven expected
// members with the `tar` package, each batch file's md5 checked, then one rename into the cache. All work
// happens in a temporary folder inside the cache folder, so the cache never holds a half-written file; a
// temporary folder left by a killed process is removed by the next download.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { ARCHIVE, ARCHIVE_MD5, FILE_MD5, FOLDER, MEMBERS, md5File } from './format';

export interface DownloadProgress {
  /** Bytes received so far. */
  receivedBytes: number;
  /** Content-Length of the archive when the server sent one. */
  totalBytes: number | undefined;
}

export interface Checksums {
  /** md5 of the archive. */
  archive: string;
  /** md5 of each batch file, by file name. */
  files: Readonly<Record<string, string>>;
}

export const OFFICIAL_CHECKSUMS: Checksums = { archive: ARCHIVE_MD5, files: FILE_MD5 };

const TEMP_PREFIX = '.cifar10-tmp-';
const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 60_000;

/** A TTY progress bar on stderr; redraws at most every 100 ms. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: DownloadProgress) => void {
  let last = 0;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  return ({ receivedBytes, totalBytes }) => {
    const now = Date.now();
    const done = totalBytes !== undefined && receivedBytes >= totalBytes;
    if (now - last < 100 && !done) return;
    last = now;
    const width = 30;
    let line: string;
    if (totalBytes) {
      const fraction = Math.min(1, receivedBytes / totalBytes);
      const filled = Math.round(fraction * width);
      line =
        `CIFAR-10 [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
        `${mb(receivedBytes)}/${mb(totalBytes)} MB`;
    } else {
      line = `CIFAR-10 ${mb(receivedBytes)} MB`;
    }
    stream.write(`\r${line}${done ? '\n' : ''}`);
  };
}

function get(url: URL): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`unsupported protocol ${url.protocol} (use https: or http:)`));
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers: { 'user-agent': 'torchnode' } }, resolve);
    request.on('error', reject);
    request.setTimeout(IDLE_TIMEOUT_MS, () => request.destroy(new Error(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
  });
}

async function open(url: string): Promise<http.IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await get(current);
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400 && response.headers.location) {
      response.resume();
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      current = new URL(response.headers.location, current);
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new Error(`HTTP ${status} ${response.statusMessage ?? ''}`.trim() + ` from ${current.href}`);
    }
    return response;
  }
}

/** Streams `url` into `file`, returning its md5. Rejects when the body ends short of its Content-Length. */
export async function downloadFile(
  url: string,
  file: string,
  onProgress?: (p: DownloadProgress) => void,
): Promise<string> {
  const response = await open(url);
  const length = response.headers['content-length'];
  const totalBytes = length === undefined ? undefined : Number(length);
  const hash = createHash('md5');
  let receivedBytes = 0;
  onProgress?.({ receivedBytes, totalBytes });
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      receivedBytes += chunk.length;
      onProgress?.({ receivedBytes, totalBytes });
      callback(null, chunk);
    },
  });
  await pipeline(response, meter, fs.createWriteStream(file, { flags: 'wx' }));
  if (!response.complete || (totalBytes !== undefined && receivedBytes !== totalBytes)) {
    throw new Error(`the connection closed after ${receivedBytes} of ${totalBytes ?? 'unknown'} bytes`);
  }
  return hash.digest('hex');
}

/** The download URL: the option, then $TORCHNODE_CIFAR10_URL, then the official one. A URL ending in '/'
 *  is a mirror's folder and gets the archive's name appended. */
export function archiveUrl(option: string | undefined, official: string): string {
  const url = option ?? (process.env.TORCHNODE_CIFAR10_URL || undefined) ?? official;
  return url.endsWith('/') ? url + ARCHIVE : url;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary folders that processes which no longer run left in the cache. */
async function removeStaleTemps(cacheDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await fsp.readdir(cacheDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const pid = Number(entry.slice(TEMP_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      await fsp.rm(path.join(cacheDir, entry), { recursive: true, force: true });
    }
  }
}

/** The archive path inside tar: exactly `cifar-10-batches-bin/<member>` (a leading './' allowed). */
function memberName(entryPath: string): string | undefined {
  const name = entryPath.startsWith('./') ? entryPath.slice(2) : entryPath;
  const [folder, file, ...rest] = name.split('/');
  if (folder !== FOLDER || file === undefined || rest.length > 0 || !MEMBERS.includes(file)) return undefined;
  return file;
}

/** Extracts the seven expected members of `archive` into `into`/cifar-10-batches-bin and checks them. */
export async function extractArchive(archive: string, into: string, checksums: Checksums): Promise<string> {
  const seen = new Set<string>();
  await fsp.mkdir(into, { recursive: true });
  try {
    await tar.x({
      file: archive,
      cwd: into,
      preservePaths: false,
      preserveOwner: false,
      // Regular files with one of the seven expected names only: no links, devices, absolute paths or '..'.
      filter: (entryPath, entry) => {
        const name = memberName(entryPath);
        const type = 'type' in entry ? entry.type : undefined;
        if (!name || (type !== 'File' && type !== 'OldFile') || seen.has(name)) return false;
        seen.add(name);
        return true;
      },
    });
  } catch (error) {
    throw new Error(`CIFAR-10: ${archive} could not be extracted (${(error as Error).message})`, { cause: error });
  }
  const folder = path.join(into, FOLDER);
  for (const name of MEMBERS) {
    if (!seen.has(name)) throw new Error(`CIFAR-10: ${archive} has no regular file ${FOLDER}/${name}`);
  }
  const expected = Object.entries(checksums.files);
  const actual = await Promise.all(expected.map(([name]) => md5File(path.join(folder, name))));
  expected.forEach(([name, md5], k) => {
    if (actual[k] !== md5) {
      throw new Error(`CIFAR-10: ${FOLDER}/${name} in ${archive} has md5 ${actual[k]}, expected ${md5}`);
    }
  });
  return folder;
}

export interface FetchOptions {
  cacheDir: string;
  url: string;
  checksums: Checksums;
  /** An archive the user placed in the cache (extracted, left in place), instead of a download. */
  localArchive?: string;
  onProgress?: (p: DownloadProgress) => void;
}

/** Fills `cacheDir`/cifar-10-batches-bin from a local archive or a download; returns that folder. */
export async function fetchIntoCache(options: FetchOptions): Promise<string> {
  const { cacheDir, checksums } = options;
  const target = path.join(cacheDir, FOLDER);
  await fsp.mkdir(cacheDir, { recursive: true });
  await removeStaleTemps(cacheDir);
  const temp = await fsp.mkdtemp(path.join(cacheDir, `${TEMP_PREFIX}${process.pid}-`));
  try {
    let archive: string;
    if (options.localArchive) {
      archive = options.localArchive;
      const actual = await md5File(archive);
      if (actual !== checksums.archive) {
        throw new Error(
          `CIFAR-10: ${archive} has md5 ${actual}, expected ${checksums.archive}: it is not the official ` +
            `${ARCHIVE} (or is incomplete); replace or remove it`,
        );
      }
    } else {
      archive = path.join(temp, ARCHIVE);
      let actual: string;
      try {
        actual = await downloadFile(options.url, archive, options.onProgress);
      } catch (error) {
        throw new DownloadError(`could not download ${options.url} (${errorText(error)})`, error);
      }
      if (actual !== checksums.archive) {
        throw new DownloadError(
          `the archive downloaded from ${options.url} has md5 ${actual}, expected ${checksums.archive} ` +
            '(a corrupted or tampered download; nothing was kept)',
        );
      }
    }
    const extracted = await extractArchive(archive, path.join(temp, 'x'), checksums);
    try {
      await fsp.rename(extracted, target);
    } catch (error) {
      // Another process filled the cache first: keep its copy.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    return target;
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}

/** One line for a network error; Node's connection errors may be an AggregateError with an empty message. */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(errorText))].join('; ');
  }
  return code ?? error.name;
}

/** A failed download (network, HTTP status, checksum); cifar10.load adds how to provide the data instead. */
export class DownloadError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'DownloadError';
  }
}
