// The command line: one subcommand per job. Each command module stays importable on its own.
import { Command, CommanderError } from 'commander';
import { formatInfo, systemInfo } from './info';
import { registerExerciseCommands } from './exercise';
import { registerPredictCommand } from './predict';
import { registerQuestionsCommand } from './questions';

export function buildProgram(): Command {
  const program = new Command('torchnode')
    .description('Deep learning from TypeScript on libtorch, and the CIFAR-10 deep-MLP exercise end to end')
    .exitOverride()
    .showHelpAfterError();

  registerExerciseCommands(program);
  registerPredictCommand(program);
  registerQuestionsCommand(program);

  program
    .command('info')
    .description('versions, CUDA, threads and BLAS of this installation')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const info = systemInfo();
      process.stdout.write((options.json ? JSON.stringify(info, null, 2) : formatInfo(info)) + '\n');
    });

  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    // A command may set process.exitCode (e.g. 130 when Ctrl-C stopped the exercise).
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`torchnode: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
