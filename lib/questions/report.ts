// questions.md and questions.json from a Report.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import type { Report } from './runner';
import type { Table } from './types';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function tableMarkdown(table: Table): string {
  const lines = [
    `*${table.title}*`,
    '',
    `| ${table.columns.map(cell).join(' | ')} |`,
    `|${table.columns.map(() => '---').join('|')}|`,
  ];
  for (const row of table.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function reportMarkdown(report: Report): string {
  const out = [
    "# The exercise's questions, answered by experiments",
    '',
    `Written by \`torchnode questions\` (torchnode ${report.torchnode}, libtorch ${report.libtorch}, Node ${report.node}, ` +
      `${report.threads.torch} torch thread(s) on ${report.threads.cpus} CPUs) on ${report.startedAt}, in ${report.seconds.toFixed(1)} s.`,
    '',
    `- Data: **${report.dataset.name}**: ${report.dataset.description}.`,
    `- Configuration: ${report.size}; seed ${report.seed}. Every conclusion below is computed from the numbers beside it.`,
  ];
  for (const q of report.questions) {
    out.push('', `## ${q.id}. ${q.title}`, '', `> ${q.question}`, '');
    out.push(`Setup: \`${JSON.stringify(q.config)}\` (${q.seconds.toFixed(1)} s).`, '');
    for (const t of q.tables) out.push(tableMarkdown(t), '');
    out.push('**Answer.**', '');
    for (const c of q.conclusions) out.push(`- ${c}`);
  }
  return out.join('\n') + '\n';
}

export function reportJson(report: Report): string {
  return (
    JSON.stringify(
      report,
      (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value),
      2,
    ) + '\n'
  );
}

/** Writes questions.md and questions.json into `dir` (created if needed); returns their paths. */
export async function writeReport(report: Report, dir: string): Promise<{ markdown: string; json: string }> {
  fs.mkdirSync(dir, { recursive: true });
  const markdown = path.join(dir, 'questions.md');
  const json = path.join(dir, 'questions.json');
  await writeFileAtomic(markdown, reportMarkdown(report));
  await writeFileAtomic(json, reportJson(report));
  return { markdown, json };
}
