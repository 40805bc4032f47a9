// The addon is context-aware: it loads in worker_threads, in two of them at once while the main thread
// computes too, and a worker that exits (even with live tensors) leaves the main thread working.
// The workers load lib/ through tsx's require API (test/helpers/worker-ops.js), so no dist/ build and
// no --import flag are needed in them; TORCHNODE_ADDON, when set, reaches them through process.env.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import test from 'ava';
import * as tn from '../lib/index';

const ROOT = path.join(__dirname, '..');
const HELPER = path.join(__dirname, 'helpers', 'worker-ops.js');

interface WorkerReport {
  id: number;
  threadId: number;
  matmul: number[][];
  acc: number;
  matmulError: string;
  disposedError: string;
  gradInside: boolean;
  grad: number[];
  alive: number;
  libtorch: string;
}

/** Runs the helper in a worker; resolves with its report and exit code. */
function runWorker(workerData: { id: number; rounds?: number; leaveAlive?: number }): {
  started: Worker;
  done: Promise<{ report: WorkerReport; exitCode: number }>;
} {
  const worker = new Worker(HELPER, { workerData, execArgv: [] });
  const done = new Promise<{ report: WorkerReport; exitCode: number }>((resolve, reject) => {
    let report: WorkerReport | undefined;
    worker.on('message', (message: WorkerReport) => (report = message));
    worker.on('error', reject);
    worker.on('exit', (exitCode) => {
      if (report) resolve({ report, exitCode });
      else reject(new Error(`worker ${workerData.id} exited with code ${exitCode} before reporting`));
    });
  });
  return { started: worker, done };
}

/** sum(x @ x) for x = c * ones(64, 64) is 64 * 4096 * c^2, with c = i % 7. */
function expectedAcc(rounds: number): number {
  let acc = 0;
  for (let i = 0; i < rounds; i++) acc += 64 * 4096 * (i % 7) ** 2;
  return acc;
}

function checkReport(t: import('ava').ExecutionContext, report: WorkerReport, rounds: number): void {
  t.deepEqual(report.matmul, [
    [19, 22],
    [43, 50],
  ]);
  t.is(report.acc, expectedAcc(rounds));
  t.regex(report.matmulError, /^Error: matmul: .*\[2, 2\] and \[3, 3\]/);
  t.is(report.disposedError, 'tensor has been disposed');
  t.false(report.gradInside);
  t.deepEqual(report.grad, [2, 4, 6]);
  t.is(report.libtorch, tn.version.libtorch);
  t.not(report.threadId, 0);
}

test('loads and runs ops in a worker thread, which exits cleanly', async (t) => {
  const { done } = runWorker({ id: 1, rounds: 50 });
  const { report, exitCode } = await done;
  t.is(exitCode, 0);
  t.is(report.id, 1);
  checkReport(t, report, 50);
  // the main thread keeps working after the worker's environment is gone
  t.deepEqual(tn.tensor([1, 2, 3]).mul(2).tolist(), [2, 4, 6]);
});

test('two workers at once while the main thread computes', async (t) => {
  const rounds = 300;
  const one = runWorker({ id: 1, rounds });
  const two = runWorker({ id: 2, rounds });
  // main-thread work that overlaps with the workers' (they run on their own threads)
  let acc = 0;
  for (let i = 0; i < rounds; i++) {
    const x = tn.full([64, 64], i % 7, { dtype: 'float64' });
    const y = x.matmul(x).sum();
    acc += y.item();
    x.dispose();
    y.dispose();
  }
  t.is(acc, expectedAcc(rounds));
  const [r1, r2] = await Promise.all([one.done, two.done]);
  t.is(r1.exitCode, 0);
  t.is(r2.exitCode, 0);
  t.not(r1.report.threadId, r2.report.threadId);
  checkReport(t, r1.report, rounds);
  checkReport(t, r2.report, rounds);
  // a worker's noGrad did not turn grad mode off here
  t.true(tn.isGradEnabled());
  const w = tn.tensor([3]);
  w.requiresGrad = true;
  w.square().sum().backward();
  t.deepEqual(w.grad?.tolist(), [6]);
});

test('a worker that exits with live tensors leaves the main thread working', async (t) => {
  const { report, exitCode } = await runWorker({ id: 3, rounds: 10, leaveAlive: 50 }).done;
  t.is(exitCode, 0);
  t.is(report.alive, 50);
  // several more rounds of load/unload
  for (let i = 0; i < 3; i++) {
    const { exitCode: code } = await runWorker({ id: 10 + i, rounds: 5 }).done;
    t.is(code, 0);
  }
  t.deepEqual(
    tn
      .ones([2, 2])
      .matmul(tn.ones([2, 2]))
      .tolist(),
    [
      [2, 2],
      [2, 2],
    ],
  );
});

// worker.terminate() stops a worker in the middle of a native call (or of loading the addon). That must
// end the worker only, never abort the process. Run in a child process so that an abort shows up as
// this test's failure (with its stderr) rather than taking the whole test file down.
test('terminating a worker mid-op or while it loads the addon does not abort the process', async (t) => {
  t.timeout(120_000);
  const script = `
const { Worker } = require('node:worker_threads');
const tn = require('./lib/index');
const HELPER = ${JSON.stringify(HELPER)};
const start = (workerData) => new Worker(HELPER, { workerData, execArgv: [] });
const exited = (w) => new Promise((resolve) => w.on('exit', resolve));
(async () => {
  const codes = [];
  for (let i = 0; i < 3; i++) {
    // mid-op: the worker has loaded torchnode and computes in a loop
    const busy = start({ id: i, forever: true });
    await new Promise((resolve) => busy.on('message', (m) => m.ready && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 100 + 100 * i));
    codes.push(await busy.terminate());
    // while loading: terminated soon after it starts
    const loading = start({ id: 10 + i, rounds: 5 });
    const done = exited(loading);
    await new Promise((resolve) => setTimeout(resolve, 200 * i));
    await loading.terminate();
    codes.push(await done);
  }
  const y = tn.tensor([1, 2]).mul(3).tolist();
  console.log(JSON.stringify({ codes, y }));
})();
`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  t.is(signal, null, `the process was killed by ${signal}; stderr:\n${stderr}`);
  t.is(code, 0, `exit code ${code}; stderr:\n${stderr}`);
  t.false(/terminate called/.test(stderr), stderr);
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { codes?: number[]; y?: number[] };
  t.is(report.codes?.length, 6);
  t.deepEqual(report.y, [3, 6]);
});
