// `torchnode info`: what this installation is and what it runs on.
import * as os from 'node:os';
import { addonPath } from '../native';
import { cuda, getNumThreads, loadedBlas, version } from '../runtime';

export interface SystemInfo {
  torchnode: string;
  libtorch: string;
  node: string;
  platform: string;
  addon: string;
  cuda: { available: boolean; deviceCount: number };
  threads: { torch: number; cpus: number };
  blas: string[];
}

export function systemInfo(): SystemInfo {
  return {
    torchnode: version.torchnode,
    libtorch: version.libtorch,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    addon: addonPath(),
    cuda: { available: cuda.isAvailable(), deviceCount: cuda.deviceCount() },
    threads: { torch: getNumThreads(), cpus: os.availableParallelism() },
    blas: loadedBlas(),
  };
}

export function formatInfo(info: SystemInfo): string {
  const blas = info.blas.length ? info.blas.join(', ') : 'none found (libtorch may use a static or reference BLAS)';
  return [
    `torchnode  ${info.torchnode}`,
    `libtorch   ${info.libtorch}`,
    `node       ${info.node} (${info.platform})`,
    `addon      ${info.addon}`,
    `cuda       ${info.cuda.available ? `available, ${info.cuda.deviceCount} device(s)` : 'not available'}`,
    `threads    ${info.threads.torch} torch intra-op, ${info.threads.cpus} CPUs`,
    `blas       ${blas}`,
  ].join('\n');
}
