// The exercise from code instead of the CLI: two variants on the --quick subset, with a line per epoch.
//   npx tsx examples/exercise.ts [cifar-10-batches-bin folder]
import { resolveOptions } from '../lib/exercise/options';
import { runExercise } from '../lib/exercise/run';

async function main(): Promise<void> {
  const options = resolveOptions(
    {},
    { quick: true, variants: ['elu', 'bn'], dataDir: process.argv[2], out: 'torchnode-exercise-example' },
  );
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const summary = await runExercise(options, {
    signal: controller.signal,
    log: (line) => console.log(line),
    onEpoch: (variant, phase, e) =>
      console.log(
        `${variant} ${phase} ${e.epoch}: val_loss ${e.valLoss?.toFixed(4)} val_acc ${e.valAccuracy?.toFixed(4)}`,
      ),
  });
  for (const row of summary.comparison) {
    console.log(`${row.variant}: lr ${row.chosenLr}, best val acc ${(row.bestValAccuracy * 100).toFixed(1)} %`);
  }
  for (const a of summary.answers) console.log(`${a.question} ${a.verdict}: ${a.answer}`);
}

void main();
