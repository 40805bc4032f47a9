// `torchnode exercise | train | lr-find`: the CIFAR-10 deep-MLP exercise, one variant of it, or one LR search.
import { Command, Option } from 'commander';
import { readConfigFile, resolveOptions, type ExerciseOptions } from '../exercise/options';
import { findLr, runExercise, type Summary } from '../exercise/run';
import { VARIANT_NAMES, type VariantName } from '../exercise/variants';
import { TABLE_HEADER, tableRows } from '../report/table';
import { createReporter } from './progress';

const int =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got '${value}'`);
    return n;
  };
const float =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${value}'`);
    return n;
  };

interface Flags {
  config?: string;
  variants?: string;
  variant?: string;
  epochs?: number;
  patience?: number;
  batchSize?: number;
  lr?: number;
  device?: string;
  seed?: number;
  dataDir?: string;
  out?: string;
  json?: boolean;
  quick?: boolean;
  resume?: boolean;
  mcSamples?: number;
  progress?: boolean;
  rangeOnly?: boolean;
}

function commonOptions(cmd: Command, what: 'exercise' | 'train' | 'lr-find'): Command {
  if (what === 'exercise') {
    cmd.option('--variants <list>', `comma-separated variants to run (${VARIANT_NAMES.join(',')})`);
  } else {
    cmd.addOption(new Option('--variant <name>', 'the variant').choices([...VARIANT_NAMES]).makeOptionMandatory());
  }
  if (what !== 'lr-find') {
    cmd
      .option('--epochs <n>', 'most epochs of training (default 100; --quick 6)', int('epochs'))
      .option('--patience <n>', 'early stopping patience on val_loss (default 20)', int('patience'))
      .option('--lr <rate>', 'learning rate for every variant: skips the LR search', float('lr'))
      .option('--resume', 'continue from what --out holds (finished variants, LR searches, last checkpoint)')
      .option('--mc-samples <n>', 'MC Dropout samples on the alpha-dropout model (default 10)', int('mc-samples'));
  }
  return cmd
    .option('--batch-size <n>', 'batch size (default 32)', int('batch-size'))
    .option('--device <device>', 'cpu, cuda, cuda:N or auto (default cpu)')
    .option('--seed <n>', 'seed of everything random (default 42)', int('seed'))
    .option('--data-dir <dir>', 'CIFAR-10 binary folder (default: $TORCHNODE_CIFAR10_DIR or the cache)')
    .option('--out <dir>', 'output folder (default ./torchnode-exercise)')
    .option('--quick', 'a demo: 5,000 training images, 1,000 validation, 2,000 test, 6 epochs, a 1-epoch sweep')
    .option('--config <file.json>', 'options as JSON; its keys mirror the flags (camelCase); flags win')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'no progress output on stderr');
}

function toOptions(flags: Flags, variants: VariantName[] | undefined): ExerciseOptions {
  const fromFile = flags.config ? readConfigFile(flags.config) : {};
  const fromFlags: Partial<ExerciseOptions> = {};
  const keys = [
    'epochs',
    'patience',
    'batchSize',
    'lr',
    'device',
    'seed',
    'dataDir',
    'out',
    'quick',
    'resume',
    'mcSamples',
  ] as const;
  for (const k of keys) if (flags[k] !== undefined) (fromFlags as Record<string, unknown>)[k] = flags[k];
  if (flags.variants !== undefined)
    fromFlags.variants = flags.variants.split(',').map((s) => s.trim()) as VariantName[];
  if (variants) fromFlags.variants = variants;
  return resolveOptions(fromFile, fromFlags);
}

export function formatTable(summary: Summary): string {
  const rows = [TABLE_HEADER, ...tableRows(summary)];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')).join('\n');
}

/** Runs with Ctrl-C wired to an AbortSignal: the first stops after the current batch, a second exits at once. */
async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\ntorchnode: stopping after the current batch (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function exerciseAction(flags: Flags, variants?: VariantName[]): Promise<void> {
  const options = toOptions(flags, variants);
  const reporter = createReporter(process.stderr, flags.progress === false);
  let summary: Summary;
  try {
    summary = await withInterrupt((signal) => runExercise(options, { ...reporter, signal }));
  } finally {
    reporter.stop();
  }
  if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    process.stdout.write(formatTable(summary) + '\n\n');
    for (const a of summary.answers) process.stdout.write(`${a.question} ${a.verdict}: ${a.answer}\n`);
    process.stdout.write(
      `\nreport: ${options.out}/report.html, ${options.out}/report.md, ${options.out}/summary.json\n`,
    );
  }
  if (!summary.complete) {
    process.stderr.write(`torchnode: stopped; run the same command with --resume to continue\n`);
    process.exitCode = 130;
  }
}

export function registerExerciseCommands(program: Command): void {
  commonOptions(
    program
      .command('exercise')
      .description(
        'the CIFAR-10 deep-MLP exercise end to end: LR search, training of every variant, MC Dropout, report',
      ),
    'exercise',
  ).action((flags: Flags) => exerciseAction(flags));

  commonOptions(
    program.command('train').description('one variant of the exercise (LR search unless --lr, training, report)'),
    'train',
  ).action((flags: Flags) => exerciseAction(flags, [flags.variant as VariantName]));

  commonOptions(
    program
      .command('lr-find')
      .description("a variant's LR search: range test (exponential ramp over one epoch) and sweep; prints the rate"),
    'lr-find',
  )
    .option('--range-only', 'only the range test; suggest a tenth of the min-loss LR')
    .action(async (flags: Flags) => {
      const options = toOptions(flags, undefined);
      const reporter = createReporter(process.stderr, flags.progress === false);
      try {
        const result = await withInterrupt((signal) =>
          findLr(options, flags.variant as VariantName, { ...reporter, signal }, flags.rangeOnly === true),
        );
        reporter.stop();
        if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else {
          const rt = result.rangeTest!;
          process.stdout.write(
            `${flags.variant}: min smoothed loss at lr ${rt.minLossLr.toPrecision(3)}, steepest descent at ` +
              `${rt.steepestLr.toPrecision(3)}, suggestion ${rt.suggestedLr.toPrecision(3)}\n` +
              (result.sweep ?? [])
                .map((s) => `  sweep lr ${s.lr}: best val_loss ${s.bestValLoss.toFixed(4)}\n`)
                .join('') +
              `chosen lr ${result.chosenLr}\n`,
          );
        }
      } finally {
        reporter.stop();
      }
    });
}
