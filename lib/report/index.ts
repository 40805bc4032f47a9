// Writes the report of a summary into `out`: summary.json, report.html, report.md, charts/*.png.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import type { Summary } from '../exercise/run';
import { charts } from './charts';
import { reportHtml } from './html';
import { reportMd } from './md';
import { svgToPng } from './png';
import { questionsHtml, readQuestions } from './questions-section';
import { reportMarkdown } from '../questions';

export { historyCsv, parseHistoryCsv, HISTORY_COLUMNS } from './csv';
export { lineChart } from './svg';

export async function writeReport(out: string, summary: Summary): Promise<string[]> {
  const list = charts(summary);
  const dir = path.join(out, 'charts');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const c of list) {
    const file = path.join(dir, `${c.id}.png`);
    await writeFileAtomic(file, svgToPng(c.svg));
    written.push(file);
  }
  const questions = readQuestions(out);
  // The questions' markdown, one heading level down, under the exercise's own sections.
  const questionsMd = questions ? '\n' + reportMarkdown(questions).replace(/^#/gm, '##') : '';
  const files: [string, string][] = [
    ['summary.json', JSON.stringify(summary, null, 2) + '\n'],
    ['report.html', reportHtml(summary, list, questions ? questionsHtml(questions) : '')],
    ['report.md', reportMd(summary, list) + questionsMd],
  ];
  for (const [name, text] of files) {
    await writeFileAtomic(path.join(out, name), text);
    written.push(path.join(out, name));
  }
  return written;
}
