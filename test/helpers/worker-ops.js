'use strict';
// Runs in a worker_thread (see test/worker.test.ts): loads torchnode from lib/ (TypeScript, through
// tsx's require API, so it needs no build of dist/ and no loader flags), runs ops, and reports the
// results to the parent. workerData: { id, rounds, leaveAlive, forever }.
const { parentPort, workerData, threadId } = require('node:worker_threads');
const tsx = require('tsx/cjs/api');

const tn = tsx.require('../../lib/index.ts', __filename);
const { id, rounds = 200, leaveAlive = 0, forever = false } = workerData ?? {};

if (forever) {
  // Loaded: say so, then compute until the parent terminates this worker (mid-op, most likely).
  parentPort.postMessage({ id, ready: true });
  for (;;)
    tn.randn([64, 64])
      .matmul(tn.randn([64, 64]))
      .sum()
      .item();
}

const a = tn.tensor([
  [1, 2],
  [3, 4],
]);
const b = tn.tensor([
  [5, 6],
  [7, 8],
]);
const matmul = a.matmul(b).tolist();

// A busy loop of real work, so that two workers and the main thread overlap in libtorch.
let acc = 0;
for (let i = 0; i < rounds; i++) {
  const x = tn.full([64, 64], i % 7, { dtype: 'float64' });
  const y = x.matmul(x).sum();
  acc += y.item();
  x.dispose();
  y.dispose();
}

// The error boundary works in this thread too.
let matmulError = '';
try {
  a.matmul(tn.ones([3, 3]));
} catch (error) {
  matmulError = `${error.constructor.name}: ${error.message}`;
}
const d = tn.ones([2]);
d.dispose();
let disposedError = '';
try {
  d.sum();
} catch (error) {
  disposedError = error.message;
}

// Grad mode is per thread: turning it off here must not reach the main thread.
const gradInside = tn.noGrad(() => tn.isGradEnabled());

// Autograd in this thread.
const w = tn.tensor([1, 2, 3]);
w.requiresGrad = true;
w.pow(2).sum().backward();
const grad = w.grad.tolist();

// Tensors left for the environment's teardown to free.
const alive = [];
for (let i = 0; i < leaveAlive; i++) alive.push(tn.ones([256, 256]));

parentPort.postMessage({
  id,
  threadId,
  matmul,
  acc,
  matmulError,
  disposedError,
  gradInside,
  grad,
  alive: alive.length,
  libtorch: tn.version.libtorch,
});
