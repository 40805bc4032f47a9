import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tn from '../lib/index';
import { blobs, mlp, timeless, weights, type Variant } from './helpers/train-data';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-ckpt-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

// fit 2 epochs writing a checkpoint each epoch, load it into a fresh model and optimizer, fit on with
// `resume` to 4: the same weights and History as 4 epochs straight, bit for bit on the CPU.
for (const [variant, early] of [
  ['alpha-dropout', true],
  ['bn', false],
] as [Variant, boolean][]) {
  test.serial(
    `checkpoint + resume equals the straight run (${variant}${early ? ', early stopping' : ''})`,
    async (t) => {
      const data = blobs(300, 20, 10, 2, 1.0);
      const validation = blobs(100, 20, 10, 5, 1.0);
      const options = (): tn.FitOptions => ({
        epochs: 4,
        batchSize: 32,
        validation,
        recordBatches: false,
        schedule: { type: 'onecycle', maxLr: 0.01 }, // the per-batch schedule must pick up where it was
        ...(early ? { earlyStopping: { patience: 10, restoreBestWeights: true } } : {}),
      });

      const straightModel = mlp(variant);
      const straightOpt = new tn.optim.NAdam(straightModel.parameters(), { lr: 3e-3 });
      const straight = await tn.fit(straightModel, straightOpt, data, { ...options(), seed: 21 });

      const file = path.join(tmp, `${variant}.safetensors`);
      const firstModel = mlp(variant);
      const firstOpt = new tn.optim.NAdam(firstModel.parameters(), { lr: 3e-3 });
      const epochs: tn.EpochLog[] = [];
      let lastLog: tn.EpochEnd | undefined;
      const first = await tn.fit(firstModel, firstOpt, data, {
        ...options(),
        seed: 21,
        onEpochEnd: async (log) => {
          lastLog = log;
          const { improved: _i, bestEpoch, best, wait, bestState, ...entry } = log;
          t.is(bestState !== undefined, early);
          epochs.push(entry);
          await tn.saveCheckpoint(file, firstModel, firstOpt, {
            epoch: log.epoch,
            best,
            bestEpoch,
            wait,
            lr: log.lr,
            epochs: [...epochs],
            bestState,
          });
          return log.epoch === 2 ? { stop: true } : undefined;
        },
      });
      t.is(first.epochs.length, 2);
      if (early) {
        t.throws(() => lastLog!.bestState, { message: /bestState is only readable while onEpochEnd runs/ });
        t.false(Object.keys(lastLog!).includes('bestState'));
      }

      // A fresh model and optimizer (different initial weights: another seed), then the checkpoint.
      tn.manualSeed(999);
      const model = mlp(variant, 20, 32, 3, 10, 77);
      const opt = new tn.optim.NAdam(model.parameters(), { lr: 1 });
      const state = await tn.loadCheckpoint(file, model, opt);
      t.is(state.epoch, 2);
      t.is(state.bestState !== undefined, early);
      t.is(opt.lr, first.epochs[1]!.lr);
      const resumed = await tn.fit(model, opt, data, { ...options(), seed: 5 /* ignored on resume */, resume: state });

      t.deepEqual(weights(model), weights(straightModel));
      if (early) {
        t.true(resumed.restoredBestWeights);
        t.log(`best epoch ${resumed.bestEpoch} of 4`);
      }
      const a = timeless(resumed) as Record<string, unknown>;
      const b = timeless(straight) as Record<string, unknown>;
      t.deepEqual(a, b);
      t.deepEqual(
        resumed.epochs.map((e) => e.epoch),
        [1, 2, 3, 4],
      );
    },
  );
}

test.serial('loadCheckpoint rejects a plain model file', async (t) => {
  const model = mlp('elu');
  const file = path.join(tmp, 'model.safetensors');
  await tn.save(model, file);
  const opt = new tn.optim.NAdam(model.parameters());
  await t.throwsAsync(tn.loadCheckpoint(file, model, opt), { message: /not a torchnode checkpoint/ });
});
