// `torchnode questions`: the exercise's seven questions answered by experiments (lib/questions).
import { Option, type Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseOnly, runQuestions, writeReport, reportJson, type Report } from '../questions';
import type { Summary } from '../exercise/run';
import { writeReport as writeExerciseReport } from '../report';
import type { Size } from '../questions/types';

export interface QuestionsCommandOptions {
  only?: string;
  quick?: boolean;
  /** Tests' size (not shown in --help). */
  tiny?: boolean;
  out: string;
  dataDir?: string;
  synthetic?: boolean;
  seed: string;
  json?: boolean;
}

function summary(report: Report, files: { markdown: string; json: string }): string {
  const lines = [`Data: ${report.dataset.name} — ${report.dataset.description}`];
  for (const q of report.questions) {
    lines.push('', `${q.id}. ${q.title} (${q.seconds.toFixed(1)} s)`);
    for (const c of q.conclusions) lines.push(`   - ${c}`);
  }
  lines.push('', `Wrote ${files.markdown} and ${files.json} in ${report.seconds.toFixed(1)} s.`);
  return lines.join('\n');
}

/** Adds `questions [--only 3,5] [--quick] [--out dir] [--data-dir dir] [--synthetic] [--seed n] [--json]`. */
export function registerQuestionsCommand(program: Command): void {
  program
    .command('questions')
    .description("answer the exercise's seven questions with small experiments; writes questions.md and questions.json")
    .option('--only <list>', 'comma-separated question numbers, e.g. 3,5 (default: all seven)')
    .option('--quick', 'smaller experiments (seconds each) instead of the default (under about a minute each)')
    .addOption(new Option('--tiny', 'the test-suite size (numbers not meaningful)').hideHelp())
    .option('--out <dir>', 'folder for questions.md and questions.json', '.')
    .option(
      '--data-dir <dir>',
      'CIFAR-10 folder (default: $TORCHNODE_CIFAR10_DIR, then ../shared/cifar10; else synthetic data)',
    )
    .option('--synthetic', 'use the synthetic Gaussian-mixture data even when CIFAR-10 is found')
    .option('--seed <n>', 'random seed', '42')
    .option('--json', 'print the full JSON report on stdout instead of the summary')
    .action(async (options: QuestionsCommandOptions) => {
      const seed = Number(options.seed);
      if (!Number.isSafeInteger(seed) || seed < 0)
        throw new Error(`--seed: expected a non-negative integer, got '${options.seed}'`);
      const only = options.only === undefined ? undefined : parseOnly(options.only);
      const size: Size = options.tiny ? 'tiny' : options.quick ? 'quick' : 'full';
      const report = await runQuestions({
        only,
        size,
        seed,
        dataDir: options.dataDir,
        synthetic: options.synthetic,
        log: (message) => process.stderr.write(message + '\n'),
      });
      const files = await writeReport(report, options.out);
      // An exercise report in the same folder gets the questions as a section of its own.
      const exerciseSummary = path.join(options.out, 'summary.json');
      if (fs.existsSync(exerciseSummary)) {
        await writeExerciseReport(options.out, JSON.parse(fs.readFileSync(exerciseSummary, 'utf8')) as Summary);
      }
      process.stdout.write(options.json ? reportJson(report) : summary(report, files) + '\n');
    });
}
