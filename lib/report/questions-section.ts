// The conceptual questions' section of the exercise report, when `torchnode questions` wrote its
// questions.json into the same folder (either command may run first: each refreshes the report).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../questions';

export function readQuestions(out: string): Report | undefined {
  const file = path.join(out, 'questions.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  } catch {
    return undefined; // a half-written or foreign file: the report goes on without the section
  }
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (v: string | number | boolean | null): string =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v);

export function questionsHtml(report: Report): string {
  const sections = report.questions.map((q) => {
    const tables = q.tables
      .map(
        (t) =>
          `<table><caption>${esc(t.title)}</caption><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>` +
          t.rows.map((r) => `<tr>${r.map((v) => `<td>${esc(text(v))}</td>`).join('')}</tr>`).join('') +
          '</table>',
      )
      .join('\n');
    const conclusions = q.conclusions.map((c) => `<li>${esc(c)}</li>`).join('');
    return `<h3>${q.id}. ${esc(q.title)}</h3>\n<blockquote>${esc(q.question)}</blockquote>\n${tables}\n<ul>${conclusions}</ul>`;
  });
  return (
    `<h2>The seven conceptual questions, answered by experiments</h2>\n` +
    `<p>From <code>torchnode questions</code> on ${esc(report.dataset.name)} (${esc(report.size)}, seed ${report.seed}, ` +
    `${report.seconds.toFixed(1)} s).</p>\n${sections.join('\n')}`
  );
}
