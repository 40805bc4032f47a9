// Progress for the long commands: two bars (epochs of the phase, batches of the epoch, with ETA) on a TTY via
// cli-progress; one plain line per epoch otherwise (logs, CI, pipes). Everything goes to stderr.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { ExerciseHooks, Phase } from '../exercise/run';
import type { VariantName } from '../exercise/variants';
import type { BatchProgress, EpochEnd } from '../train/types';

export interface Reporter extends Omit<ExerciseHooks, 'signal'> {
  stop(): void;
}

const f4 = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(4));

export function epochLine(variant: string, phase: string, log: EpochEnd, epochs: number): string {
  return (
    `${variant} ${phase} epoch ${log.epoch}/${epochs}: loss ${f4(log.loss)} accuracy ${f4(log.accuracy)}` +
    (log.valLoss !== undefined ? ` val_loss ${f4(log.valLoss)} val_accuracy ${f4(log.valAccuracy)}` : '') +
    ` lr ${log.lr.toPrecision(3)} ${log.seconds.toFixed(2)}s${log.improved ? ' *' : ''}`
  );
}

export function createReporter(stream: NodeJS.WriteStream = process.stderr, quiet = false): Reporter {
  let epochs = 1;
  if (quiet) return { stop() {} };
  if (!stream.isTTY) {
    return {
      onPhase: (e) => {
        epochs = e.epochs;
        stream.write(`${e.variant}: ${e.label} (${e.epochs} epoch(s) of ${e.batches} batches)\n`);
      },
      onEpoch: (variant, phase, log) => stream.write(epochLine(variant, phase, log, epochs) + '\n'),
      log: (line) => stream.write(line + '\n'),
      stop() {},
    };
  }
  const multi = new MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      etaBuffer: 50,
      format: '{label} |{bar}| {value}/{total} {unit} | ETA {eta_formatted} | {info}',
    },
    Presets.shades_classic,
  );
  let epochBar: SingleBar | undefined;
  let batchBar: SingleBar | undefined;
  let current: { variant: VariantName; phase: Phase } | undefined;
  return {
    onPhase: (e) => {
      epochs = e.epochs;
      current = { variant: e.variant, phase: e.phase };
      epochBar?.stop();
      batchBar?.stop();
      if (epochBar) multi.remove(epochBar);
      if (batchBar) multi.remove(batchBar);
      epochBar = multi.create(e.epochs, 0, { label: `${e.variant} ${e.label}`.padEnd(28), unit: 'epochs', info: '' });
      batchBar = multi.create(e.batches, 0, { label: '  batches'.padEnd(28), unit: 'batches', info: '' });
    },
    onBatch: (_variant, _phase, p: BatchProgress) => batchBar?.update(p.batch, { info: `loss ${f4(p.loss)}` }),
    onEpoch: (variant, phase, log) => {
      multi.log(epochLine(variant, phase, log, epochs) + '\n');
      epochBar?.update(log.epoch, {
        info: log.valLoss !== undefined ? `val_loss ${f4(log.valLoss)} val_acc ${f4(log.valAccuracy)}` : '',
      });
      batchBar?.start(batchBar.getTotal(), 0, { label: '  batches'.padEnd(28), unit: 'batches', info: '' }); // resets the ETA
      void current;
    },
    log: (line) => multi.log(line + '\n'),
    stop: () => multi.stop(),
  };
}
