// Process-wide settings and facts: seeding, threads, grad mode, versions, CUDA, BLAS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native, packageRoot } from './native';

function readPackageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** torchnode's own version and the libtorch version the addon was compiled against. */
export const version: Readonly<{ torchnode: string; libtorch: string }> = Object.freeze({
  torchnode: readPackageVersion(),
  libtorch: native.libtorchVersion,
});

/** Seeds libtorch's global generator (CPU and CUDA): same seed, same random tensors and initial weights. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`manualSeed: seed must be a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/** Sets libtorch's intra-op thread count for this process. */
export function setNumThreads(threads: number): void {
  native.setNumThreads(threads);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Runs `fn` with autograd off on this thread and returns its result (a Promise's too, but grad mode
 * is restored when `fn` returns, not when the promise settles).
 */
export function noGrad<T>(fn: () => T): T {
  const previous = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(previous);
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

export const cuda = Object.freeze({
  /** True when libtorch was built with CUDA and a GPU is visible. */
  isAvailable: (): boolean => native.cudaIsAvailable(),
  deviceCount: (): number => native.cudaDeviceCount(),
});

/** The BLAS libraries mapped into this process (read from /proc/self/maps on Linux). */
export function loadedBlas(): string[] {
  let maps: string;
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const found = new Set<string>();
  for (const line of maps.split('\n')) {
    const file = line.slice(line.indexOf('/'));
    if (/lib(openblas|blas|mkl_\w+|blis|cblas|flexiblas)[\w.-]*\.so/.test(path.basename(file))) found.add(file);
  }
  return [...found].sort();
}
