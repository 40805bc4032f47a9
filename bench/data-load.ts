// Loading all 60,000 CIFAR-10 images from disk into tensors (target: <= 1 s). Median of several runs on the real
// data in ../shared/cifar10/cifar-10-batches-bin (or $TORCHNODE_CIFAR10_DIR); skipped, saying so, without it.
// Usage: npx tsx bench/data-load.ts [runs]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasets } from '../lib/data';

const dir =
  process.env.TORCHNODE_CIFAR10_DIR ?? path.resolve(__dirname, '..', '..', 'shared', 'cifar10', 'cifar-10-batches-bin');
const runs = Number(process.argv[2] ?? 7);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function time(options: Parameters<typeof datasets.cifar10.load>[0]): Promise<number> {
  const start = performance.now();
  const d = await datasets.cifar10.load(options);
  const ms = performance.now() - start;
  for (const t of [d.train.x, d.train.y, d.test.x, d.test.y]) t.dispose();
  return ms;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(dir, 'data_batch_1.bin'))) {
    console.log(`data-load: skipped, no CIFAR-10 at ${dir} (set TORCHNODE_CIFAR10_DIR)`);
    return;
  }
  await time({ dir }); // warm the page cache
  const cases: [string, Parameters<typeof datasets.cifar10.load>[0]][] = [
    ['hwc (default)', { dir }],
    ['chw', { dir, layout: 'chw' }],
    ['hwc, verify md5', { dir, verify: true }],
    ['hwc, Tensor-op fallback', { dir, decoder: 'ops' }],
  ];
  const results = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  // Interleaved rounds (the machines are noisy).
  for (let r = 0; r < runs; r++) {
    for (const [name, options] of cases) results.get(name)?.push(await time(options));
  }
  for (const [name, ms] of results) {
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(
      `data-load ${name.padEnd(24)} 60,000 images: median ${median(ms).toFixed(0)} ms ` +
        `(min ${sorted[0]?.toFixed(0)}, max ${sorted.at(-1)?.toFixed(0)}, ${runs} runs)`,
    );
  }
  const target = median(results.get('hwc (default)') ?? []);
  console.log(`data-load target <= 1000 ms: ${target <= 1000 ? 'met' : 'MISSED'} (${target.toFixed(0)} ms)`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
