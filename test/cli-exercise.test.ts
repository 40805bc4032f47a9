// `torchnode exercise` end to end, as a child process, on generated CIFAR-format files (tiny config: seconds):
// every output file exists and parses, the table's numbers equal the histories', predict reads the saved
// models, and Ctrl-C (SIGINT to the child) then --resume gives the same summary as an uninterrupted run.
import test from 'ava';
import { DEFAULTS } from '../lib/exercise/options';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDataset, generated } from './helpers/cifar-files';
import { loadModel } from '../lib/io/model-file';
import { parseHistoryCsv, HISTORY_COLUMNS } from '../lib/report/csv';
import { tableRows } from '../lib/report/table';
import type { Summary } from '../lib/exercise/run';

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-cli-exercise-'));
const dataDir = path.join(tmp, 'data');
const dataReady = writeDataset(dataDir);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'lib/cli/dev.ts'), ...args], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function config(name: string, value: object): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

const TINY = { trainLimit: 320, validation: 160, testLimit: 320, epochs: 3, sweepEpochs: 1, patience: 2, mcSamples: 4 };

/** The flags every JSON-printing run here shares: a config file, the generated data, an output folder. */
function jsonRun(configFile: string, out: string): string[] {
  return ['--config', configFile, '--data-dir', dataDir, '--out', out, '--json', '--no-progress'];
}

test('--help of every command names its flags', async (t) => {
  const top = await cli(['--help']);
  t.is(top.code, 0);
  for (const c of ['exercise', 'train', 'lr-find', 'predict', 'info']) t.regex(top.stdout, new RegExp(`^  ${c} `, 'm'));
  const ex = await cli(['exercise', '--help']);
  t.is(ex.code, 0);
  for (const flag of [
    '--variants',
    '--epochs',
    '--patience',
    '--batch-size',
    '--lr',
    '--device',
    '--seed',
    '--data-dir',
    '--out',
    '--json',
    '--quick',
    '--resume',
    '--mc-samples',
    '--config',
  ]) {
    t.true(ex.stdout.includes(flag), flag);
  }
  const pr = await cli(['predict', '--help']);
  t.regex(pr.stdout, /--model <file>/);
  t.regex(pr.stdout, /--mc-samples/);
  const bad = await cli(['exercise', '--variants', 'relu', '--data-dir', dataDir, '--out', path.join(tmp, 'bad')]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /unknown variant 'relu'; the variants are elu, bn, selu, alpha-dropout/);
});

test('exercise: every output file exists and parses, the table equals the histories, predict reads the models', async (t) => {
  await dataReady;
  const out = path.join(tmp, 'full');
  const run = await cli([
    'exercise',
    '--config',
    config('tiny.json', TINY),
    '--data-dir',
    dataDir,
    '--out',
    out,
    '--json',
  ]);
  t.is(run.code, 0, run.stderr);
  t.regex(
    run.stderr,
    /elu train epoch 2\/3: loss [\d.]+ accuracy [\d.]+ val_loss/,
    'one plain line per epoch when not a TTY',
  );
  const printed = JSON.parse(run.stdout) as Summary;
  const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as Summary;
  t.deepEqual(printed.comparison, summary.comparison);
  t.true(summary.complete);
  t.like(summary, { seed: 42, device: 'cpu', data: { train: 320, validation: 160, test: 320 } });
  t.regex(summary.libtorch, /^\d+\.\d+/);
  t.regex(summary.torchnode, /^\d+\.\d+\.\d+/);
  t.true(summary.threads >= 1);
  t.deepEqual(
    summary.variants.map((v) => v.name),
    ['elu', 'bn', 'selu', 'alpha-dropout'],
  );
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  t.regex(html, /^<!doctype html>/);
  t.false(/<(img|link|script)[^>]+(src|href)=/.test(html), 'self-contained: no external resources');
  const pngs = [...md.matchAll(/\]\((charts\/[^)]+\.png)\)/g)].map((m) => m[1] as string);
  t.true(pngs.length >= 12, `${pngs.length} charts`);
  for (const png of pngs) {
    const bytes = fs.readFileSync(path.join(out, png));
    t.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], png);
  }
  t.is((html.match(/<svg /g) ?? []).length, pngs.length, 'the same charts inline in the HTML');
  const rows = tableRows(summary);
  for (const row of rows) {
    t.true(md.includes(`| ${row.join(' | ')} |`), `report.md has the row of ${row[0]}`);
    t.true(
      html.includes(
        `<th>${row[0]}</th>${row
          .slice(1)
          .map((c) => `<td>${c}</td>`)
          .join('')}`,
      ),
      `report.html row ${row[0]}`,
    );
  }

  // The table's numbers equal the histories' (history.csv, written independently of the table).
  const csvs = Object.fromEntries(
    summary.variants.map((v) => [
      v.name,
      parseHistoryCsv(fs.readFileSync(path.join(out, v.name, 'history.csv'), 'utf8')),
    ]),
  );
  const header = fs.readFileSync(path.join(out, 'elu', 'history.csv'), 'utf8').split('\n')[0];
  t.is(header, HISTORY_COLUMNS.join(','));
  const eluCsv = csvs.elu!;
  const eluBest = Math.min(...eluCsv.map((r) => r.val_loss));
  for (const row of summary.comparison) {
    const csv = csvs[row.variant]!;
    const v = summary.variants.find((x) => x.name === row.variant)!;
    t.is(csv.length, row.epochsRun);
    t.deepEqual(
      csv.map((r) => r.epoch),
      csv.map((_, i) => i),
    );
    const losses = csv.map((r) => r.val_loss);
    const bestIndex = losses.indexOf(Math.min(...losses));
    t.is(row.bestEpoch, bestIndex + 1, row.variant);
    t.is(row.bestValLoss, csv[bestIndex]!.val_loss);
    t.is(row.bestValAccuracy, csv[bestIndex]!.val_accuracy);
    const reach = losses.findIndex((l) => l <= eluBest);
    t.is(row.epochsToEluBest, reach >= 0 ? reach + 1 : null, row.variant);
    t.is(row.chosenLr, csv[0]!.lr);
    t.is(row.chosenLr, v.lrSearch.chosenLr);
    const secs = v.history.epochs.map((e) => e.seconds);
    t.true(Math.abs(row.secondsPerEpoch - secs.reduce((a, b) => a + b, 0) / secs.length) < 1e-9);
    t.true(Math.abs(row.wallSecondsToBest - secs.slice(0, row.bestEpoch).reduce((a, b) => a + b, 0)) < 1e-9);
    t.is(row.testAccuracy, v.test.accuracy);
    // The restored model is the best epoch's: its validation accuracy is that row's.
    t.true(Math.abs(v.validation.accuracy - row.bestValAccuracy) < 1e-9, `${row.variant}: restored best weights`);
    // The LR search: a range-test curve, a sweep of the configured size; the chosen rate is the largest of
    // those whose best val_loss is within the tolerance of the lowest.
    t.is(v.lrSearch.source, 'search');
    t.is(v.lrSearch.sweep!.length, DEFAULTS.sweepCandidates);
    const lowest = Math.min(...v.lrSearch.sweep!.map((s) => s.bestValLoss ?? Infinity));
    const tied = v.lrSearch.sweep!.filter((s) => (s.bestValLoss ?? Infinity) <= lowest * (1 + DEFAULTS.sweepTolerance));
    t.is(Math.max(...tied.map((s) => s.lr)), row.chosenLr);
    t.true(v.lrSearch.rangeTest!.lrs.length > 5);
    t.is(v.activations.init.length, 20);
    t.is(v.activations.trained.length, 20);
    for (const f of ['result.json', 'lr-search.json', 'init-activations.json'])
      JSON.parse(fs.readFileSync(path.join(out, v.name, f), 'utf8'));
    t.false(
      fs.existsSync(path.join(out, v.name, 'checkpoint.safetensors')),
      'the checkpoint goes once the variant is done',
    );
  }
  const ad = summary.variants.find((v) => v.name === 'alpha-dropout')!;
  t.is(ad.mc!.samples, 4);
  t.is(summary.comparison.find((r) => r.variant === 'alpha-dropout')!.mcAccuracy, ad.mc!.accuracy);
  t.is(ad.mc!.plainAccuracy, ad.test.accuracy, 'plain predict agrees with evaluate');
  t.is(summary.answers.length, 5);
  t.true(summary.answers.every((a) => a.verdict === 'yes' || a.verdict === 'no'));

  // model.safetensors: the architecture, the input spec and (selu) the standardization statistics.
  const selu = await loadModel(path.join(out, 'selu', 'model.safetensors'));
  t.like(selu.extra, { variant: 'selu', input: { mode: 'standardized', scale: 1 } });
  t.deepEqual(selu.extraTensors['standardize.mean']!.shape, [32, 32, 3]);
  t.deepEqual(selu.extraTensors['standardize.std']!.shape, [32, 32, 3]);
  const elu = await loadModel(path.join(out, 'elu', 'model.safetensors'));
  t.like(elu.extra, { input: { mode: 'raw' } });
  t.is(elu.model.parameterCount(), 500_210);

  // predict on the test images the run used (a CIFAR batch file of 320 records): same accuracy as the table.
  const { files } = await generated();
  const testBin = path.join(tmp, 'test-320.bin');
  fs.writeFileSync(testBin, files.get('test_batch.bin')!.subarray(0, 320 * 3073));
  for (const name of ['selu', 'alpha-dropout']) {
    const p = await cli(['predict', '--model', path.join(out, name, 'model.safetensors'), '--json', testBin]);
    t.is(p.code, 0, p.stderr);
    const preds = JSON.parse(p.stdout) as { class: string; label: string; confidence: number }[];
    t.is(preds.length, 320);
    const accuracy = preds.filter((r) => r.class === r.label).length / 320;
    t.is(accuracy, summary.variants.find((v) => v.name === name)!.test.accuracy, name);
  }
  // The training continues the sweep winner's run: the same history as training from scratch at that LR.
  const seluRun = summary.variants.find((v) => v.name === 'selu')!;
  const scratch = await cli([
    'train',
    '--variant',
    'selu',
    '--lr',
    String(seluRun.lrSearch.chosenLr),
    ...jsonRun(config('tiny.json', TINY), path.join(tmp, 'scratch')),
  ]);
  t.is(scratch.code, 0, scratch.stderr);
  const fresh = (JSON.parse(scratch.stdout) as Summary).variants[0]!;
  const noSeconds = (e: object) => ({ ...e, seconds: 0 });
  t.deepEqual(fresh.history.epochs.map(noSeconds), seluRun.history.epochs.map(noSeconds));
  t.deepEqual(fresh.test, seluRun.test);
  t.deepEqual(
    fs.readdirSync(path.join(out, 'selu')).filter((f) => f.startsWith('sweep-')),
    [],
  );

  const raw = path.join(tmp, 'one.raw');
  fs.writeFileSync(raw, files.get('test_batch.bin')!.subarray(1, 3073));
  const mc = await cli([
    'predict',
    '--model',
    path.join(out, 'alpha-dropout', 'model.safetensors'),
    '--mc-samples',
    '5',
    raw,
  ]);
  t.is(mc.code, 0, mc.stderr);
  t.regex(
    mc.stdout,
    /^.*one\.raw\t(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)\t\d+\.\d % ± \d+\.\d\n$/,
  );
  const bad = path.join(tmp, 'bad.raw');
  fs.writeFileSync(bad, Buffer.alloc(100));
  const err = await cli(['predict', '--model', path.join(out, 'elu', 'model.safetensors'), bad]);
  t.is(err.code, 1);
  t.regex(err.stderr, /bad\.raw: 100 bytes is not a whole number of raw 3,072-byte records/);
});

test('train (one variant, --lr skips the search) and lr-find (range test only)', async (t) => {
  await dataReady;
  const out = path.join(tmp, 'single');
  const tiny = config('single.json', TINY);
  const train = await cli(['train', '--variant', 'selu', '--lr', '0.001', '--epochs', '2', ...jsonRun(tiny, out)]);
  t.is(train.code, 0, train.stderr);
  const summary = JSON.parse(train.stdout) as Summary;
  t.deepEqual(
    summary.variants.map((v) => v.name),
    ['selu'],
  );
  t.like(summary.comparison[0], { chosenLr: 0.001, lrSource: 'flag', epochsRun: 2 });
  t.is(summary.variants[0]!.lrSearch.rangeTest, undefined);
  const find = await cli(['lr-find', '--variant', 'bn', '--range-only', ...jsonRun(tiny, out)]);
  t.is(find.code, 0, find.stderr);
  const result = JSON.parse(find.stdout) as {
    chosenLr: number;
    rangeTest: { suggestedLr: number; minLossLr: number; lrs: number[] };
  };
  t.is(result.chosenLr, result.rangeTest.suggestedLr);
  t.is(result.rangeTest.suggestedLr, result.rangeTest.minLossLr / 10);
  t.is(result.rangeTest.lrs.length, 10, '320 images / batch 32: one epoch of ramp');
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'bn', 'lr-search.json'), 'utf8')), result);
});

/** summary.json without what differs between two runs of the same job: timings, options (--resume, --out). */
function comparable(summary: Summary): unknown {
  const drop = new Set([
    'seconds',
    'wallSeconds',
    'secondsPerEpoch',
    'wallSecondsToBest',
    'wallSecondsToEluBest',
    'options',
    'answers',
  ]);
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([k]) => !drop.has(k))
              .map(([k, x]) => [k, strip(x)]),
          )
        : v;
  return strip(summary);
}

test('Ctrl-C (SIGINT) mid-training, then --resume: the same final summary as an uninterrupted run', async (t) => {
  await dataReady;
  // One sweep candidate keeps it short; the LR search's file is still reused on --resume.
  const job = config('resume.json', { ...TINY, variants: ['elu', 'bn'], epochs: 6, patience: 6, sweepCandidates: 1 });
  const base = ['exercise', '--config', job, '--data-dir', dataDir, '--no-progress'];
  const whole = path.join(tmp, 'whole');
  const parts = path.join(tmp, 'parts');
  const straight = await cli([...base, '--out', whole]);
  t.is(straight.code, 0, straight.stderr);
  let sent = false;
  const interrupted = await cli([...base.filter((a) => a !== '--no-progress'), '--out', parts], (text, child) => {
    if (!sent && /bn train epoch 2\/6/.test(text)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  t.true(sent);
  t.is(interrupted.code, 130, interrupted.stderr);
  t.regex(interrupted.stderr, /stopping after the current batch/);
  const partial = JSON.parse(fs.readFileSync(path.join(parts, 'summary.json'), 'utf8')) as Summary;
  t.false(partial.complete);
  t.deepEqual(
    partial.variants.map((v) => v.name),
    ['elu'],
    'the finished variant stays in --out',
  );
  t.true(fs.existsSync(path.join(parts, 'elu', 'model.safetensors')));
  t.true(fs.existsSync(path.join(parts, 'bn', 'checkpoint.safetensors')), 'a checkpoint per epoch');
  t.regex(fs.readFileSync(path.join(parts, 'report.html'), 'utf8'), /incomplete/);
  const resumed = await cli([...base, '--out', parts, '--resume']);
  t.is(resumed.code, 0, resumed.stderr);
  const a = JSON.parse(fs.readFileSync(path.join(whole, 'summary.json'), 'utf8')) as Summary;
  const b = JSON.parse(fs.readFileSync(path.join(parts, 'summary.json'), 'utf8')) as Summary;
  t.true(b.complete);
  t.deepEqual(comparable(b), comparable(a));
  t.is(
    fs.readFileSync(path.join(parts, 'bn', 'history.csv'), 'utf8').split('\n').length,
    fs.readFileSync(path.join(whole, 'bn', 'history.csv'), 'utf8').split('\n').length,
  );
});

test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));
