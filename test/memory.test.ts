// Leak tests (not speed tests). Each runs in a child node process of its own, so that RSS is not
// mixed up with the other tests of this file, and so that the first one can use --expose-gc (ava's
// nodeArguments are the project's, not this file's). The child runs lib/ through tsx; TORCHNODE_ADDON,
// when set, reaches it through the environment.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import test from 'ava';

const ROOT = path.join(__dirname, '..');
const MB = 2 ** 20;

interface Report {
  [key: string]: number;
}

/** Runs `code` (CommonJS, with `tn` = torchnode from lib/) in a child node; it prints one JSON line. */
function runChild(code: string, flags: string[] = []): Report {
  const script = `const tn = require('./lib/index');\n${code}`;
  const out = execFileSync(process.execPath, [...flags, '--import', 'tsx', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 120_000,
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Report;
}

test('100,000 create/dispose cycles leave RSS within 50 MB of where it started', (t) => {
  t.timeout(150_000);
  const report = runChild(
    `
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve)); // node-api finalizers run from an immediate
  }
};
const cycle = () => {
  const x = tn.randn([64]);
  x.dispose();
};
(async () => {
  for (let i = 0; i < 10000; i++) cycle(); // warm-up: allocator pools, JIT, libtorch's lazy init
  await settle();
  const before = process.memoryUsage().rss;
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 10000; i++) cycle();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await settle();
  const after = process.memoryUsage().rss;
  console.log(JSON.stringify({ before, after, cycles: 100000 }));
})();
`,
    ['--expose-gc'],
  );
  t.is(report.cycles, 100000);
  const growth = ((report.after ?? 0) - (report.before ?? 0)) / MB;
  t.log(`RSS ${((report.before ?? 0) / MB).toFixed(1)} MB -> ${((report.after ?? 0) / MB).toFixed(1)} MB`);
  t.true(growth < 50, `RSS grew by ${growth.toFixed(1)} MB over 100,000 create/dispose cycles`);
});

test('tensors that are never disposed are collected: 2,000 x 1 MB in an async loop keep RSS bounded', (t) => {
  t.timeout(150_000);
  // No --expose-gc, no gc() calls: only the external-memory reports make V8 collect 1 MB tensors whose
  // JS wrappers are tiny. Without them RSS would grow by ~2,000 MB here. The loop yields every 10
  // tensors, as any async code does; node-api runs finalizers from an immediate, not inside the GC.
  const report = runChild(`
(async () => {
  const before = process.memoryUsage().rss;
  let peak = before;
  for (let i = 0; i < 2000; i++) {
    tn.zeros([262144]); // 1 MB of float32, never disposed
    if (i % 10 === 9) {
      await new Promise((resolve) => setImmediate(resolve));
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
  console.log(JSON.stringify({ before, peak }));
})();
`);
  const growth = ((report.peak ?? 0) - (report.before ?? 0)) / MB;
  t.log(`peak RSS growth ${growth.toFixed(0)} MB for 2,000 MB allocated`);
  t.true(growth < 400, `peak RSS grew by ${growth.toFixed(0)} MB for 2,000 x 1 MB undisposed tensors`);
});

// KNOWN FAILURE (reported to the lead): in a loop that never yields to the event loop, undisposed
// tensors are not freed at all, however much V8 collects. The external-memory reports do trigger
// GCs, but node-api (Node-API 8, non-experimental) defers every finalizer to a SetImmediate, so the
// ObjectWrap destructors that free the libtorch storage only run once the loop ends. `test.failing`
// keeps CI green and will say so once this starts to pass (e.g. with basic/"pure" finalizers).
test.failing('a synchronous loop of 600 x 1 MB undisposed tensors keeps RSS bounded', (t) => {
  t.timeout(150_000);
  const report = runChild(`
const before = process.memoryUsage().rss;
let peak = before;
for (let i = 0; i < 600; i++) {
  tn.zeros([262144]);
  if (i % 10 === 9) peak = Math.max(peak, process.memoryUsage().rss);
}
console.log(JSON.stringify({ before, peak }));
`);
  const growth = ((report.peak ?? 0) - (report.before ?? 0)) / MB;
  t.log(`peak RSS growth ${growth.toFixed(0)} MB for 600 MB allocated in a synchronous loop`);
  t.true(growth < 300, `peak RSS grew by ${growth.toFixed(0)} MB`);
});
