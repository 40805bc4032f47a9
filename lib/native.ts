// The one module that loads the native addon. A load failure becomes one sentence that says what is
// missing and how to fix it, never a bare dlopen error.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type NativeDtype = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

/** @internal The native tensor handle (native/tensor.cc). */
export interface NativeTensor {
  shape(): number[];
  dtype(): NativeDtype;
  device(): string;
  numel(): number;
  isDisposed(): boolean;
  requiresGrad(): boolean;
  setRequiresGrad(value: boolean): void;
  grad(): NativeTensor | undefined;
  toTypedArray(): Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
  item(): number | boolean;
  to(device: string | undefined, dtype: string | undefined): NativeTensor;
  binary(op: string, other: NativeTensor | number): NativeTensor;
  unary(op: string): NativeTensor;
  reduce(op: string, dim: number | number[] | undefined, keepdim: boolean | undefined): NativeTensor;
  reshape(shape: number[]): NativeTensor;
  narrow(dim: number, start: number, length: number): NativeTensor;
  permute(dims: number[]): NativeTensor;
  indexSelect(dim: number, index: NativeTensor): NativeTensor;
  backward(gradient?: NativeTensor): void;
  dispose(): void;
}

/** @internal */
export interface NativeBinding {
  NativeTensor: new () => NativeTensor;
  libtorchVersion: string;
  fromTypedArray(data: ArrayBufferView, shape: number[], dtype: NativeDtype, device?: string): NativeTensor;
  full(shape: number[], value: number, dtype: NativeDtype, device?: string): NativeTensor;
  random(kind: 'normal' | 'uniform', shape: number[], dtype: NativeDtype, device?: string): NativeTensor;
  arange(end: number, dtype: NativeDtype, device?: string): NativeTensor;
  randperm(n: number, device?: string): NativeTensor;
  cat(tensors: NativeTensor[], dim: number): NativeTensor;
  manualSeed(seed: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  // Entry points of the later native files (modules, optimizers, trainer) are typed where they are used.
  [name: string]: unknown;
}

// lib/*.ts runs from source in tests and from dist/cjs when installed: find the package by walking up.
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`torchnode: package root not found above ${from}`);
  }
}

/** @internal */
export const packageRoot = findPackageRoot(__dirname);

const INSTALL_HINT =
  'install it with `sudo apt-get install libtorch-dev libopenblas0-pthread` (Debian/Ubuntu), ' +
  'or point LD_LIBRARY_PATH at the lib folder of the libtorch torchnode was built against and rebuild ' +
  'with `LIBTORCH=/path/to/libtorch npm run build:native`';

/** @internal Turns a dlopen failure into one sentence that says what is wrong. */
export function explainLoadFailure(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const missing = /(lib(?:torch\w*|c10\w*)\.so[.\d]*): cannot open shared object file/.exec(message);
  if (missing) {
    // A versioned soname means the addon was built for that libtorch release.
    const built = /\.so\.(\d+\.\d+)/.exec(missing[1]!);
    const wanted = built ? `, and this torchnode build was made for libtorch ${built[1]}` : '';
    return new Error(`torchnode: libtorch was not found (${missing[1]} is missing${wanted}): ${INSTALL_HINT}.`, {
      cause: error,
    });
  }
  const symbol = /undefined symbol: (\S+)/.exec(message);
  if (symbol) {
    return new Error(
      `torchnode: the native addon was built for a different libtorch than the one loaded ` +
        `(undefined symbol ${symbol[1]}); rebuild it with \`npm run build:native\` against the libtorch you have.`,
      { cause: error },
    );
  }
  if (/No native build was found/.test(message)) {
    return new Error(
      `torchnode: no native addon for ${process.platform}-${process.arch} (Node-API 8); build it with ` +
        '`npm run build:native` (needs cmake, a C++17 compiler and libtorch).',
      { cause: error },
    );
  }
  return new Error(`torchnode: the native addon failed to load: ${message.split('\n')[0]}`, { cause: error });
}

// prebuildify names the file after the package (torchnode.node) or, in older versions, node.napi.node.
function findPrebuild(): string | undefined {
  const dir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.node'));
  } catch {
    return undefined;
  }
  const file = files.find((f) => f.startsWith('torchnode')) ?? files.find((f) => f.includes('napi'));
  return file ? path.join(dir, file) : undefined;
}

// Order: $TORCHNODE_ADDON (a .node file, for development), then the prebuild shipped in the package,
// then whatever node-gyp-build finds (build/Release from a local build, then other prebuilds).
// A prebuild that does not load here (made for another libtorch) falls back to a local build.
function load(): NativeBinding {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const override = process.env.TORCHNODE_ADDON;
  if (override) {
    try {
      return require(path.resolve(override)) as NativeBinding;
    } catch (error) {
      throw explainLoadFailure(error);
    }
  }
  const prebuild = findPrebuild();
  let prebuildError: unknown;
  if (prebuild) {
    try {
      return require(prebuild) as NativeBinding;
    } catch (error) {
      prebuildError = error;
    }
  }
  try {
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    return nodeGypBuild(packageRoot);
  } catch (error) {
    throw explainLoadFailure(prebuildError ?? error);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** @internal Which addon file loaded: for `torchnode info`. */
export function addonPath(): string {
  const loaded = Object.keys(require.cache).find((file) => file.endsWith('.node') && file.startsWith(packageRoot));
  return process.env.TORCHNODE_ADDON ? path.resolve(process.env.TORCHNODE_ADDON) : (loaded ?? 'unknown');
}

/** @internal */
export const native: NativeBinding = load();
