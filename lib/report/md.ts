// report.md: the same table and answers, with the charts as PNG files beside it (charts/<id>.png).
import type { Summary } from '../exercise/run';
import type { Chart } from './charts';
import { TABLE_HEADER, pct, tableRows } from './table';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function reportMd(summary: Summary, charts: Chart[]): string {
  const o = summary.options;
  const lines: string[] = [];
  lines.push(`# CIFAR-10 deep MLP exercise${summary.complete ? '' : ' (incomplete: continue with --resume)'}`, '');
  lines.push(
    `torchnode ${summary.torchnode}, libtorch ${summary.libtorch}, device ${summary.device}, ${summary.threads} threads, ` +
      `seed ${summary.seed}. ${summary.data.train} training / ${summary.data.validation} validation / ${summary.data.test} test ` +
      `images${o.quick ? ' (--quick)' : ''}. Nadam, batch ${o.batchSize}, early stopping on val_loss (patience ${o.patience}), ` +
      `at most ${o.epochs} epochs. Wall time ${summary.wallSeconds.toFixed(1)} s.`,
    '',
  );
  lines.push('## Comparison', '');
  lines.push(`| ${TABLE_HEADER.map(cell).join(' | ')} |`, `|${TABLE_HEADER.map(() => '---').join('|')}|`);
  for (const r of tableRows(summary)) lines.push(`| ${r.map(cell).join(' | ')} |`);
  lines.push('', "## The exercise's questions", '');
  for (const a of summary.answers) lines.push(`- **${a.question}** (${a.verdict}) ${a.answer}`);
  const mc = summary.variants.find((v) => v.mc)?.mc;
  if (mc) {
    lines.push(
      '',
      `## MC Dropout (${mc.samples} samples, ${mc.images} test images)`,
      '',
      '| plain accuracy | MC accuracy | mean predictive std | most confident 10 % | least confident 10 % |',
      '|---|---|---|---|---|',
      `| ${pct(mc.plainAccuracy)} | ${pct(mc.accuracy)} | ${mc.meanPredictiveStd.toFixed(4)} | ${pct(mc.mostConfidentDecileAccuracy)} | ${pct(mc.leastConfidentDecileAccuracy)} |`,
    );
  }
  lines.push('', '## Charts', '');
  for (const c of charts) lines.push(`![${c.title}](charts/${c.id}.png)`, '');
  return lines.join('\n');
}
