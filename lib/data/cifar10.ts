// tn.datasets.cifar10: find the CIFAR-10 binary files (dir option, env variable, cache, archive in the cache,
// download), then read them into tensors. See lib/data/README.md for the decisions.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tensor } from '../tensor';
import {
  type Checksums,
  type DownloadProgress,
  DownloadError,
  OFFICIAL_CHECKSUMS,
  archiveUrl,
  fetchIntoCache,
  progressBar,
} from './download';
import {
  ARCHIVE,
  ARCHIVE_URL,
  CHANNELS,
  FOLDER,
  IMAGE_BYTES,
  IMAGE_SIZE,
  type Layout,
  META_FILE,
  type Split,
  TEST_FILES,
  TRAIN_FILES,
  readClasses,
  readSplit,
} from './format';

export type { Layout, Split } from './format';
export type { DownloadProgress } from './download';

export interface LoadOptions {
  /** A folder holding the batch files (or holding `cifar-10-batches-bin/` with them). Wins over everything. */
  dir?: string;
  /** Download the official archive when no copy is found (default true). */
  download?: boolean;
  /** Where the cache lives (default `$XDG_CACHE_HOME/torchnode`, else `~/.cache/torchnode`). */
  cacheDir?: string;
  /**
   * Check each batch file's md5 against the official ones while loading (about 0.3 s more).
   * Default false: sizes and labels are always checked, and a downloaded or extracted archive is always
   * verified (archive md5 before extraction, batch md5s after) before it enters the cache.
   */
  verify?: boolean;
  /** 'hwc' (default): x is [N, 32, 32, 3] like keras.datasets.cifar10; 'chw': [N, 3, 32, 32];
   *  'flat': [N, 3072], the HWC flattening (pixel-major, channels last: index (r * 32 + c) * 3 + ch). */
  layout?: Layout;
  /** Archive URL (default $TORCHNODE_CIFAR10_URL, else the official one). A URL ending in '/' is a folder
   *  holding cifar-10-binary.tar.gz. */
  url?: string;
  /** Called as the archive downloads. Without it, a progress bar is drawn on stderr when it is a TTY. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Draw the TTY progress bar (default true; ignored when onProgress is given). */
  progress?: boolean;
  /** @internal Expected md5s, for tests that serve generated archives (default: the official ones). */
  checksums?: Checksums;
  /** @internal 'ops' decodes with Tensor ops instead of native/cifar.cc (to test both). */
  decoder?: 'native' | 'ops';
}

export type Source = 'dir' | 'env' | 'cache' | 'archive' | 'download';

export interface Cifar10 {
  /** data_batch_1 … data_batch_5, in order: 50,000 images. */
  train: Split;
  /** test_batch: 10,000 images. */
  test: Split;
  /** The ten class names from batches.meta.txt: 'airplane', 'automobile', … 'truck'. */
  classes: string[];
  /** Where the data came from, and the folder it was read from. */
  source: { kind: Source; dir: string };
}

export const ENV_DIR = 'TORCHNODE_CIFAR10_DIR';
export const ENV_URL = 'TORCHNODE_CIFAR10_URL';

/** `$XDG_CACHE_HOME/torchnode` (an absolute XDG_CACHE_HOME only, as the spec says), else `~/.cache/torchnode`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'torchnode');
}

/** The folder with the files: `dir` itself, or `dir/cifar-10-batches-bin` when only that has them. */
function dataFolder(dir: string): string {
  const resolved = path.resolve(dir);
  const nested = path.join(resolved, FOLDER);
  const has = (folder: string) => fs.existsSync(path.join(folder, TRAIN_FILES[0] as string));
  if (!has(resolved) && has(nested)) return nested;
  return resolved;
}

function ways(cacheDir: string): string {
  return (
    'Give the data another way: pass { dir: "/path/to/cifar-10-batches-bin" } to cifar10.load(), ' +
    `set ${ENV_DIR}=/path/to/cifar-10-batches-bin, or put ${ARCHIVE} (from ${ARCHIVE_URL}) at ` +
    `${path.join(cacheDir, ARCHIVE)}.`
  );
}

/** Finds the data, fetching it into the cache if needed; returns the folder and where it came from. */
async function locate(options: LoadOptions): Promise<{ kind: Source; dir: string }> {
  if (options.dir !== undefined) {
    if (typeof options.dir !== 'string') throw new TypeError('cifar10.load: dir must be a string');
    return { kind: 'dir', dir: dataFolder(options.dir) };
  }
  const fromEnv = process.env[ENV_DIR];
  if (fromEnv) return { kind: 'env', dir: dataFolder(fromEnv) };

  const cacheDir = path.resolve(options.cacheDir ?? defaultCacheDir());
  const cached = path.join(cacheDir, FOLDER);
  if (fs.existsSync(cached)) return { kind: 'cache', dir: cached };

  const checksums = options.checksums ?? OFFICIAL_CHECKSUMS;
  const localArchive = path.join(cacheDir, ARCHIVE);
  if (fs.existsSync(localArchive)) {
    return { kind: 'archive', dir: await fetchIntoCache({ cacheDir, url: '', checksums, localArchive }) };
  }
  if (options.download === false) {
    throw new Error(`CIFAR-10: no copy found (${cached} does not exist) and download is off. ${ways(cacheDir)}`);
  }
  const url = archiveUrl(options.url, ARCHIVE_URL);
  const onProgress =
    options.onProgress ?? (options.progress !== false && process.stderr.isTTY ? progressBar() : undefined);
  try {
    return { kind: 'download', dir: await fetchIntoCache({ cacheDir, url, checksums, onProgress }) };
  } catch (error) {
    if (error instanceof DownloadError) {
      throw new Error(`CIFAR-10: ${error.message}. ${ways(cacheDir)}`, { cause: error.cause ?? error });
    }
    throw error;
  }
}

/**
 * Loads CIFAR-10 into tensors: `{ train: { x, y }, test: { x, y }, classes }`, x uint8 [N, 32, 32, 3]
 * (see `layout`), y int64 [N]. The data is looked for in this order: `dir`, $TORCHNODE_CIFAR10_DIR, the
 * cache (`cacheDir`), a `cifar-10-binary.tar.gz` placed in the cache, then a download of the official archive.
 * Throws an Error naming the file for a missing file, a wrong size, a label > 9 (with the record) or a wrong
 * md5 (with `verify`); nothing is left half-loaded.
 */
export async function load(options: LoadOptions = {}): Promise<Cifar10> {
  if (typeof options !== 'object' || options === null) throw new TypeError('cifar10.load: options must be an object');
  if (options.layout !== undefined && !['hwc', 'chw', 'flat'].includes(options.layout)) {
    throw new Error(`cifar10.load: layout must be 'hwc', 'chw' or 'flat', got '${String(options.layout)}'`);
  }
  const source = await locate(options);
  const downloaded = source.kind === 'download' || source.kind === 'archive';
  const read = {
    // Just verified on the way into the cache.
    verify: options.verify === true && !downloaded,
    layout: options.layout ?? 'hwc',
    checksums: (options.checksums ?? OFFICIAL_CHECKSUMS).files,
    decoder: options.decoder,
  };
  const classes = await readClasses(source.dir);
  const train = await readSplit(source.dir, TRAIN_FILES, read);
  let test: Split;
  try {
    test = await readSplit(source.dir, TEST_FILES, read);
  } catch (error) {
    train.x.dispose();
    train.y.dispose();
    throw error;
  }
  return { train, test, classes, source };
}

function checkImages(op: string, x: unknown, shape: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor of images`);
  const s = x.shape;
  if (s.length !== 4 || s.slice(1).some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: expected images of shape [N, ${shape.join(', ')}], got [${s.join(', ')}]`);
  }
  return x;
}

/** [N, 32, 32, 3] → [N, 3, 32, 32] (a contiguous copy), e.g. for convolution layers. */
export function toCHW(x: Tensor): Tensor {
  return checkImages('toCHW', x, [IMAGE_SIZE, IMAGE_SIZE, CHANNELS]).permute([0, 3, 1, 2]).contiguous();
}

/** [N, 3, 32, 32] → [N, 32, 32, 3] (a contiguous copy). */
export function toHWC(x: Tensor): Tensor {
  return checkImages('toHWC', x, [CHANNELS, IMAGE_SIZE, IMAGE_SIZE]).permute([0, 2, 3, 1]).contiguous();
}

/** [N, …] → [N, 3072] in the order the images are stored: from HWC images (the default) this is the HWC
 *  flattening, index (r * 32 + c) * 3 + ch, the same as Keras' Flatten on keras.datasets.cifar10. */
export function flatten(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError('flatten: expected a Tensor of images');
  const s = x.shape;
  const n = s[0];
  if (n === undefined || s.slice(1).reduce((a, b) => a * b, 1) !== IMAGE_BYTES) {
    throw new Error(`flatten: expected [N, …] images of ${IMAGE_BYTES} values each, got [${s.join(', ')}]`);
  }
  return x.reshape([n, IMAGE_BYTES]);
}

export const CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export { META_FILE, FOLDER, ARCHIVE, ARCHIVE_URL };
