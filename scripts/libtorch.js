#!/usr/bin/env node
'use strict';
// The one place that knows where libtorch is and how to compile against it.
// Both builds ask it: CMakeLists.txt (cmake-js) and binding.gyp (node-gyp, prebuildify).
// Order: $LIBTORCH (a libtorch folder) -> a Python torch installation -> the system (Debian's libtorch-dev).

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const NATIVE_DIR = path.join(ROOT, 'native');

// Flags both builds use besides TORCH_CXX_FLAGS. Exceptions and RTTI are needed by libtorch's headers.
const COMMON_CXX_FLAGS = ['-std=c++17', '-O3', '-fexceptions', '-frtti', '-Wno-unused-parameter'];
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: a worker thread being terminated cannot take a JS exception;
// without it node-addon-api rethrows into std::terminate and the whole process aborts.
const COMMON_DEFINES = [
  'NAPI_VERSION=8',
  'NAPI_CPP_EXCEPTIONS',
  'NODE_ADDON_API_DISABLE_DEPRECATED',
  'NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
];

const SYSTEM_CMAKE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/cmake',
  '/usr/lib/aarch64-linux-gnu/cmake',
  '/usr/lib/cmake',
  '/usr/local/lib/cmake',
  '/usr/local/share/cmake',
];

const hasTorchConfig = (cmakeDir) => fs.existsSync(path.join(cmakeDir, 'Torch', 'TorchConfig.cmake'));

function fromEnv() {
  const dir = process.env.LIBTORCH;
  if (!dir) return null;
  const cmakeDir = path.join(path.resolve(dir), 'share', 'cmake');
  if (!hasTorchConfig(cmakeDir)) {
    throw new Error(`LIBTORCH=${dir} is not a libtorch folder: ${cmakeDir}/Torch/TorchConfig.cmake is missing`);
  }
  return { source: 'LIBTORCH', cmakeDir };
}

function fromPython() {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const python of candidates) {
    try {
      const out = execFileSync(python, ['-c', 'import torch.utils; print(torch.utils.cmake_prefix_path)'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60_000,
      })
        .toString()
        .trim();
      if (out && hasTorchConfig(out)) return { source: `python (${python})`, cmakeDir: out };
    } catch {
      // no torch in this interpreter: try the next one
    }
  }
  return null;
}

function fromSystem() {
  const cmakeDir = SYSTEM_CMAKE_DIRS.find(hasTorchConfig);
  return cmakeDir ? { source: 'system', cmakeDir } : null;
}

// TorchConfig.cmake sits in <prefix>/share/cmake/Torch (official zip, wheel) or <prefix>/lib/<triplet>/cmake/Torch
// (Debian). The headers are under <prefix>/include; the libraries beside libtorch.so.
function describe(found) {
  const configFile = path.join(found.cmakeDir, 'Torch', 'TorchConfig.cmake');
  const config = fs.readFileSync(configFile, 'utf8');
  const abi = /set\(TORCH_CXX_FLAGS\s+"([^"]*)"\)/.exec(config);
  let prefix = path.resolve(found.cmakeDir, '..', '..');
  if (!fs.existsSync(path.join(prefix, 'include', 'torch'))) prefix = path.resolve(found.cmakeDir, '..', '..', '..');
  const includeDir = path.join(prefix, 'include');
  const libDir = [path.resolve(found.cmakeDir, '..'), path.join(prefix, 'lib')].find((d) =>
    fs.existsSync(path.join(d, 'libtorch_cpu.so')),
  );
  if (!libDir) throw new Error(`libtorch_cpu.so not found next to ${configFile}`);
  const versionHeader = path.join(includeDir, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h');
  let version = 'unknown';
  if (fs.existsSync(versionHeader)) {
    const h = fs.readFileSync(versionHeader, 'utf8');
    const part = (name) => (new RegExp(`#define TORCH_VERSION_${name}\\s+(\\d+)`).exec(h) || [])[1];
    version = [part('MAJOR'), part('MINOR'), part('PATCH')].join('.');
  }
  return {
    source: found.source,
    cmakeDir: found.cmakeDir,
    prefix,
    version,
    includeDirs: [includeDir, path.join(includeDir, 'torch', 'csrc', 'api', 'include')],
    libDir,
    cuda: fs.existsSync(path.join(libDir, 'libtorch_cuda.so')),
    torchCxxFlags: abi ? abi[1].split(/\s+/).filter(Boolean) : [],
  };
}

function findLibtorch() {
  const found = fromEnv() || fromPython() || fromSystem();
  if (!found) {
    throw new Error(
      'libtorch not found. Install it (Debian/Ubuntu: `sudo apt-get install libtorch-dev libopenblas0-pthread`, ' +
        'or `bash scripts/install-system-deps.sh`), or set LIBTORCH to an unpacked libtorch folder.',
    );
  }
  return describe(found);
}

function nativeSources() {
  return fs
    .readdirSync(NATIVE_DIR)
    .filter((f) => f.endsWith('.cc'))
    .sort()
    .map((f) => `native/${f}`);
}

function cxxFlags(lt) {
  return [...COMMON_CXX_FLAGS, ...lt.torchCxxFlags];
}

// A CUDA libtorch must stay linked even though no symbol of libtorch_cuda is referenced directly;
// without --no-as-needed the linker drops it and torch::cuda::is_available() is false.
function linkFlags(lt) {
  const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
  if (lt.cuda) libs.push('-ltorch_cuda', '-lc10_cuda');
  const rpath = lt.source === 'system' ? [] : [`-Wl,-rpath,${lt.libDir}`];
  return [`-L${lt.libDir}`, ...rpath, '-Wl,--no-as-needed', ...libs, '-Wl,--as-needed'];
}

function main(argv) {
  const lt = findLibtorch();
  const outputs = {
    '--cmake-prefix': () => lt.cmakeDir,
    '--include-dirs': () => lt.includeDirs.join(' '),
    '--cflags': () => cxxFlags(lt).join(' '),
    '--defines': () => COMMON_DEFINES.join(' '),
    '--libs': () => linkFlags(lt).join(' '),
    '--sources': () => nativeSources().join(' '),
    '--version': () => lt.version,
    '--json': () =>
      JSON.stringify({ ...lt, cxxFlags: cxxFlags(lt), defines: COMMON_DEFINES, libs: linkFlags(lt) }, null, 2),
  };
  const flag = argv[0] || '--json';
  if (!outputs[flag]) throw new Error(`unknown option ${flag}; one of ${Object.keys(outputs).join(', ')}`);
  process.stdout.write(outputs[flag]() + '\n');
}

module.exports = { findLibtorch, nativeSources, cxxFlags, linkFlags, COMMON_DEFINES };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`torchnode: ${err.message}\n`);
    process.exit(1);
  }
}
