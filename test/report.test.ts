// The report writers on a made-up summary: history.csv in Keras' layout, SVG charts, the HTML and Markdown
// tables (same cells), PNGs via resvg, and report.html in headless Chromium (charts laid out, no console errors;
// the screenshot is kept in test-artifacts/). The Chromium test skips, saying so, without /usr/bin/chromium.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSummary, type VariantResult } from '../lib/exercise/run';
import type { ExerciseData } from '../lib/exercise/data';
import { resolveOptions } from '../lib/exercise/options';
import { variantConfig } from '../lib/exercise/variants';
import { historyCsv, parseHistoryCsv, writeReport, lineChart } from '../lib/report';
import { runQuestions, writeReport as writeQuestions } from '../lib/questions';
import { charts } from '../lib/report/charts';
import { tableRows } from '../lib/report/table';
import type { EpochLog } from '../lib/train/types';

const root = path.resolve(__dirname, '..');

function epochs(n: number, start: number, rate: number, seconds: number): EpochLog[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    loss: start * Math.exp(-rate * i),
    accuracy: 0.2 + 0.03 * i,
    valLoss: start * Math.exp(-rate * i) + 0.01 * (i - n / 2) ** 2 * 0.01,
    valAccuracy: 0.18 + 0.025 * i,
    lr: 1e-3,
    seconds,
  }));
}

function fakeResult(name: string, log: EpochLog[], mc = false): VariantResult {
  const losses = log.map((e) => e.valLoss!);
  const bestEpoch = losses.indexOf(Math.min(...losses)) + 1;
  const lrs = Array.from({ length: 200 }, (_, i) => 1e-6 * 10 ** (i / 33));
  const curve = lrs.map((lr) => 2.3 - 0.5 * Math.tanh(Math.log10(lr) + 3) + (lr > 0.05 ? 10 * lr : 0));
  const layers = (m: number, s: number) =>
    Array.from({ length: 20 }, (_, i) => ({ layer: i + 1, mean: m * i, std: 1 + s * i }));
  const r: VariantResult = {
    name: name as VariantResult['name'],
    config: variantConfig(name),
    seed: 42,
    input: { mode: 'raw', scale: 1, standardized: false },
    parameters: 500_210,
    lrSearch: {
      source: 'search',
      chosenLr: 1e-3,
      rangeTest: {
        lrs,
        losses: curve,
        smoothed: curve,
        batches: 200,
        minLossLr: 1e-2,
        steepestLr: 1e-3,
        suggestedLr: 1e-3,
        minIndex: 132,
        steepestIndex: 99,
        diverged: false,
      },
      sweep: [3.3e-4, 1e-3, 3e-3].map((lr, i) => ({
        lr,
        bestValLoss: 1.6 - 0.01 * i,
        diverged: false,
        epochs: epochs(2, 2 + i * 0.1, 0.2, 1),
      })),
      seconds: 10,
    },
    history: {
      epochs: log,
      bestEpoch,
      bestValLoss: losses[bestEpoch - 1]!,
      stoppedEarly: true,
      restoredBestWeights: true,
      seconds: 30,
    },
    validation: { loss: losses[bestEpoch - 1]!, accuracy: log[bestEpoch - 1]!.valAccuracy! },
    test: { loss: 1.5, accuracy: 0.45 },
    activations: { init: layers(0.001, 0.002), trained: layers(0.01, 0.02) },
  };
  if (mc) {
    r.mc = {
      samples: 10,
      accuracy: 0.47,
      plainAccuracy: 0.46,
      meanPredictiveStd: 0.05,
      meanStdAllClasses: 0.02,
      meanConfidence: 0.6,
      mostConfidentDecileAccuracy: 0.9,
      leastConfidentDecileAccuracy: 0.2,
      images: 10000,
    };
  }
  return r;
}

function fakeSummary() {
  const data = {
    train: { x: { shape: [45000] } },
    validation: { x: { shape: [5000] } },
    test: { x: { shape: [10000] } },
    source: '/data',
    classes: [],
  } as unknown as ExerciseData;
  const results = [
    fakeResult('elu', epochs(12, 2.2, 0.05, 4)),
    fakeResult('bn', epochs(9, 2.0, 0.09, 6)),
    fakeResult('selu', epochs(10, 2.1, 0.06, 4.2)),
    fakeResult('alpha-dropout', epochs(11, 2.1, 0.06, 4.4), true),
  ];
  return buildSummary(resolveOptions({}, {}), data, results, true, 123.4);
}

test('history.csv: the Keras CSVLogger columns, 0-based epochs, round trip', (t) => {
  const log = epochs(3, 2, 0.1, 1);
  const text = historyCsv(log);
  t.is(text.split('\n')[0], 'epoch,accuracy,loss,val_accuracy,val_loss,lr');
  const rows = parseHistoryCsv(text);
  t.deepEqual(
    rows.map((r) => r.epoch),
    [0, 1, 2],
  );
  t.deepEqual(
    rows.map((r) => r.val_loss),
    log.map((e) => e.valLoss),
  );
  t.deepEqual(
    rows.map((r) => r.accuracy),
    log.map((e) => e.accuracy),
  );
  const noVal = historyCsv([{ epoch: 1, loss: 1, accuracy: 0.5, lr: 0.1, seconds: 1 }]);
  t.is(noVal.split('\n')[1], '0,0.5,1,,,0.1');
});

test('lineChart: points land inside the plot area; log axes; non-finite points dropped', (t) => {
  const svg = lineChart({
    title: 'T <&>',
    xLabel: 'x',
    yLabel: 'y',
    series: [
      {
        name: 'a',
        points: [
          [1, 0],
          [2, 1],
          [3, NaN],
        ],
      },
    ],
  });
  t.true(svg.includes('T &lt;&amp;&gt;'));
  const d = /class="series" d="([^"]+)"/.exec(svg)![1]!;
  const pts = d
    .split(/[ML]/)
    .filter(Boolean)
    .map((p) => p.split(',').map(Number));
  t.is(pts.length, 2);
  for (const [x, y] of pts) {
    t.true(x! >= 64 && x! <= 640 - 16 && y! >= 34 && y! <= 360 - 46);
  }
  const log = lineChart({
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    logX: true,
    series: [
      {
        name: 'a',
        points: [
          [1e-5, 1],
          [1e-1, 2],
        ],
      },
    ],
  });
  for (const tick of ['1e-5', '1e-4', '1e-3', '1e-2', '1e-1']) t.true(log.includes(`>${tick}<`), tick);
});

test('the report: table cells the same in HTML and Markdown, from the comparison rows; PNG per chart', async (t) => {
  const summary = fakeSummary();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-report-'));
  await writeReport(out, summary);
  const list = charts(summary);
  t.is(list.length, 2 + 4 * 4 + 2);
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  for (const row of tableRows(summary)) {
    t.true(md.includes(`| ${row.join(' | ')} |`));
    t.true(
      html.includes(
        row
          .slice(1)
          .map((c) => `<td>${c}</td>`)
          .join(''),
      ),
    );
  }
  const elu = summary.comparison[0]!;
  t.is(tableRows(summary)[0]![4], String(elu.bestEpoch));
  for (const c of list) t.true(fs.statSync(path.join(out, 'charts', `${c.id}.png`)).size > 2000, c.id);
  t.deepEqual(
    JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')).comparison,
    JSON.parse(JSON.stringify(summary.comparison)),
  );
  // The answers come from the numbers: bn's s/epoch is 6 vs elu's 4 here.
  t.regex(
    summary.answers[2]!.answer,
    /^median 6\.0 s per epoch with BN vs 4\.0 s without: 1\.50x \(slower per epoch; means 6\.0 s vs 4\.0 s/,
  );
  t.regex(summary.answers[4]!.answer, /47\.0 % with MC Dropout \(10 samples\) vs 46\.0 % plain \(\+1\.00 points\)/);
  t.is(summary.answers[4]!.verdict, 'yes');
});

const chromium = '/usr/bin/chromium';
const hasChromium = fs.existsSync(chromium);
if (!hasChromium) test('report.html in headless Chromium: skipped, /usr/bin/chromium is absent', (t) => t.pass());

(hasChromium ? test : test.skip)(
  'report.html in headless Chromium: every chart laid out, no console errors, screenshot kept',
  async (t) => {
    const summary = fakeSummary();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-report-html-'));
    await writeReport(out, summary);
    const url = 'file://' + path.join(out, 'report.html');
    const artifacts = path.join(root, 'test-artifacts');
    fs.mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, 'report.png');
    fs.rmSync(shot, { force: true });
    const flags = (profile: string) => [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--enable-logging=stderr',
      '--v=0',
    ];
    const dom = spawnSync(
      chromium,
      [...flags(fs.mkdtempSync(path.join(os.tmpdir(), 'tn-chr-'))), '--virtual-time-budget=5000', '--dump-dom', url],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    t.is(dom.status, 0, dom.stderr);
    const title = /<title>([^<]*)<\/title>/.exec(dom.stdout)?.[1];
    t.is(title, `charts-ok ${charts(summary).length}`, 'the page script found every chart laid out');
    const consoleErrors = dom.stderr.split('\n').filter((l) => /CONSOLE|Uncaught|SyntaxError/.test(l));
    t.deepEqual(consoleErrors, []);
    const png = spawnSync(
      chromium,
      [
        ...flags(fs.mkdtempSync(path.join(os.tmpdir(), 'tn-chr-'))),
        `--screenshot=${shot}`,
        '--window-size=1400,2400',
        url,
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    t.is(png.status, 0, png.stderr);
    t.true(fs.statSync(shot).size > 20_000, 'a screenshot with content');
    t.deepEqual(
      png.stderr.split('\n').filter((l) => /CONSOLE|Uncaught/.test(l)),
      [],
    );
  },
);

test('the questions become a section of the exercise report when both ran into one folder', async (t) => {
  const summary = fakeSummary();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-report-q-'));
  await writeReport(out, summary);
  t.false(fs.readFileSync(path.join(out, 'report.md'), 'utf8').includes('conceptual'), 'no questions.json yet');
  const report = await runQuestions({ only: [2], size: 'tiny', synthetic: true, seed: 1 });
  await writeQuestions(report, out);
  await writeReport(out, summary);
  const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
  const q2 = report.questions[0]!;
  t.true(md.includes(`### ${q2.id}. ${q2.title}`), 'the questions sit one heading level below the report');
  for (const c of q2.conclusions) t.true(md.includes(c), 'every conclusion is in report.md');
  t.true(html.includes('The seven conceptual questions, answered by experiments'));
  t.true(html.includes(`<h3>${q2.id}. `));
  t.true(html.includes(`<caption>${q2.tables[0]!.title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}`));
});
