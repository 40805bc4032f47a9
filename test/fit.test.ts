import test from 'ava';
import * as tn from '../lib/index';
import { blobs, maxDiff, mlp, randomLabels, timeless, weights, type Variant } from './helpers/train-data';

const nadam = (model: tn.nn.Module, lr = 3e-3): tn.optim.NAdam => new tn.optim.NAdam(model.parameters(), { lr });

test.serial('fit learns a separable 10-class problem (>= 95 % accuracy) on the fused step', async (t) => {
  const data = blobs(1000);
  const model = mlp('elu');
  const history = await tn.fit(model, nadam(model), data, { epochs: 8, batchSize: 32, seed: 1 });
  t.is(history.engine, 'fused');
  t.is(history.epochs.length, 8);
  t.true(history.epochs[7]!.loss < history.epochs[0]!.loss);
  const { accuracy } = await tn.evaluate(model, data);
  t.true(accuracy >= 0.95, `accuracy ${accuracy}`);
  t.true(history.threads.intraOp >= 1);
});

test.serial('fit learns with the autograd step too, and says why it used it', async (t) => {
  const data = blobs(600);
  const model = mlp('elu');
  const history = await tn.fit(model, nadam(model), data, { epochs: 6, seed: 1, engine: 'autograd' });
  t.is(history.engine, 'autograd');
  t.true((await tn.evaluate(model, data)).accuracy >= 0.95);
  // A layer without a fused step falls back to autograd by itself.
  const tanh = new tn.nn.Sequential([new tn.nn.Linear(20, 16), new tn.nn.Tanh(), new tn.nn.Linear(16, 10)]);
  const h2 = await tn.fit(tanh, nadam(tanh), data, { epochs: 1 });
  t.is(h2.engine, 'autograd');
  t.regex(h2.engineReason ?? '', /layer 1/);
  await t.throwsAsync(tn.fit(tanh, nadam(tanh), data, { epochs: 1, engine: 'fused' }), {
    message: /engine 'fused' cannot run this model: layer 1/,
  });
});

for (const variant of ['elu', 'bn', 'selu', 'alpha-dropout', 'dropout-relu', 'plain'] as Variant[]) {
  test.serial(`fused and autograd steps give the same weights and History (${variant})`, async (t) => {
    const data = blobs(300, 20, 10, 2, 1.0);
    const validation = blobs(100, 20, 10, 5, 1.0);
    const run = async (engine: 'fused' | 'autograd'): Promise<[tn.History, Record<string, number[]>]> => {
      if (variant === 'plain') tn.manualSeed(3);
      const model = variant === 'plain' ? new tn.nn.Sequential([new tn.nn.Linear(20, 10)]) : mlp(variant);
      const h = await tn.fit(model, nadam(model, 1e-2), data, {
        epochs: 3,
        batchSize: 32, // 300 = 9 x 32 + 12: a short last batch
        seed: 11,
        engine,
        validation,
        recordBatches: true,
      });
      t.is(h.engine, engine);
      return [h, weights(model)];
    };
    const [hf, wf] = await run('fused');
    const [ha, wa] = await run('autograd');
    // bn: a bias that feeds a BatchNorm (0.bias, the Linears' biases) has a gradient of exactly 0, which
    // each engine computes as its own rounding noise, and NAdam (g / sqrt(v)) turns that noise into steps
    // of about lr: those biases, and the running means they shift, wander apart. The function is the same
    // (the batch losses agree), so they are left out of the weight comparison.
    const zeroGradient = /^(0|1|4|7)\.bias$|^(2|5|8)\.running_mean$/;
    const kept = (w: Record<string, number[]>): Record<string, number[]> =>
      variant === 'bn' ? Object.fromEntries(Object.entries(w).filter(([k]) => !zeroGradient.test(k))) : w;
    const diff = maxDiff(kept(wf), kept(wa));
    t.true(diff <= 1e-5, `max weight difference ${diff}`);
    const lossDiff = Math.max(...Array.from(hf.batchLosses!, (v, i) => Math.abs(v - ha.batchLosses![i]!)));
    t.true(lossDiff <= 1e-5, `max batch-loss difference ${lossDiff}`);
    t.is(hf.batchLosses!.length, ha.batchLosses!.length);
    t.log(`${variant}: max weight difference ${diff}, max batch-loss difference ${lossDiff}`);
  });
}

/** Random labels for training and validation alike: the model memorizes, and the validation loss (other random
 *  labels) rises after the first epochs. */
function memorizing(): { train: tn.Dataset; validation: tn.Dataset; model: tn.nn.Sequential } {
  return {
    train: { x: blobs(200, 20, 10, 3, 2).x, y: randomLabels(200, 10, 3) },
    validation: { x: blobs(200, 20, 10, 4, 2).x, y: randomLabels(200, 10, 9) },
    model: mlp('elu', 20, 64, 2),
  };
}

test.serial(
  'restoreBestWeights: evaluate after fit gives the best epoch val_loss, and the best epoch is not the last',
  async (t) => {
    // A high rate on random labels: the best validation loss comes early.
    const { train, validation, model } = memorizing();
    const history = await tn.fit(model, nadam(model, 1e-2), train, {
      epochs: 12,
      seed: 2,
      validation,
      earlyStopping: { patience: 100, restoreBestWeights: true },
    });
    t.is(history.epochs.length, 12);
    t.false(history.stoppedEarly);
    t.true(history.restoredBestWeights);
    t.true(history.bestEpoch < 12, `best epoch ${history.bestEpoch}`);
    const valLosses = history.epochs.map((e) => e.valLoss!);
    t.is(history.bestEpoch, valLosses.indexOf(Math.min(...valLosses)) + 1);
    const best = valLosses[history.bestEpoch - 1]!;
    t.true(valLosses[11]! > best + 1e-3);
    const { loss } = await tn.evaluate(model, validation, { batchSize: 64 });
    t.true(Math.abs(loss - best) <= 1e-6, `evaluate ${loss} vs best ${best}`);
  },
);

test.serial(
  'early stopping stops after `patience` epochs without improvement (val_accuracy monitor too)',
  async (t) => {
    const { train, validation, model } = memorizing();
    const history = await tn.fit(model, nadam(model, 1e-2), train, {
      epochs: 50,
      seed: 2,
      validation,
      earlyStopping: { patience: 3 },
    });
    t.true(history.stoppedEarly);
    t.is(history.epochs.length, history.bestEpoch + 3);
    const m2 = mlp('elu', 20, 64, 2);
    const h2 = await tn.fit(m2, nadam(m2, 1e-2), train, {
      epochs: 50,
      seed: 2,
      validation,
      earlyStopping: { patience: 2, monitor: 'val_accuracy' },
    });
    t.true(h2.stoppedEarly);
    const accs = h2.epochs.map((e) => e.valAccuracy!);
    t.is(h2.best, Math.max(...accs));
  },
);

test.serial('determinism: two fits with the same seed give identical History and weights, bit for bit', async (t) => {
  const data = blobs(400);
  const validation = blobs(100, 20, 10, 9);
  const run = async (): Promise<[unknown, Record<string, number[]>]> => {
    const model = mlp('alpha-dropout');
    const h = await tn.fit(model, nadam(model), data, {
      epochs: 3,
      seed: 123,
      validation,
      earlyStopping: { patience: 5 },
      recordBatches: true,
    });
    return [timeless(h), weights(model)];
  };
  const [h1, w1] = await run();
  const [h2, w2] = await run();
  t.deepEqual(h1, h2);
  t.deepEqual(w1, w2);
  // A different seed changes the run (the shuffle and the dropout masks).
  const model = mlp('alpha-dropout');
  const h3 = await tn.fit(model, nadam(model), data, { epochs: 3, seed: 124, validation, recordBatches: true });
  t.notDeepEqual(timeless(h3), h1);
});

test.serial(
  'TORCHNODE_FUSED_EXACT=1: the fused step (updates on the helper or not) equals step() after autograd, bit for bit',
  async (t) => {
    // Layers big enough for every path of the fused step's updates: the 600 x 128 input layer half on each
    // thread, the 128 x 128 layer on the helper, biases inline; TORCHNODE_PREFETCH=0 keeps all on one thread.
    // Exact mode runs autograd's kernels throughout: each gemm on OpenBLAS' own thread count, the ELU
    // backward from its input.
    const data = blobs(200, 600, 10, 2, 1.0);
    const run = async (engine: 'fused' | 'autograd', helper = true): Promise<Record<string, number[]>> => {
      const model = mlp('selu', 600, 128, 2);
      process.env.TORCHNODE_PREFETCH = helper ? '1' : '0';
      process.env.TORCHNODE_FUSED_EXACT = '1';
      try {
        const h = await tn.fit(model, nadam(model, 1e-3), data, { epochs: 2, batchSize: 32, seed: 4, engine });
        t.is(h.engine, engine);
      } finally {
        delete process.env.TORCHNODE_PREFETCH;
        delete process.env.TORCHNODE_FUSED_EXACT;
      }
      return weights(model);
    };
    const autograd = await run('autograd');
    t.is(maxDiff(await run('fused'), autograd), 0);
    t.is(maxDiff(await run('fused', false), autograd), 0);
  },
);

test.serial(
  'the fused step split over two threads (rows, column blocks, layers on the helper): repeatable, close to autograd',
  async (t) => {
    // By default the fused step runs each half of the batch through the layers between BatchNorms on its
    // own thread, the small layers' weight gradients and updates on the helper, and shares a large
    // layer's backward in column blocks; the ELU backward reads the output. 1400 inputs at batch 48 make the
    // input layer large (48 x 96 x 1400 multiply-adds): its backward has three 512-column blocks, a partial
    // one included, and (bn: BatchNorm first) an input gradient; that BatchNorm (48 x 1400 values) has its
    // statistics and backward shared in three blocks of channels.
    // - Repeatable: the same seed gives the same bits, run after run (a race between the threads would not).
    // - Close to autograd: the split sums and rounds in another order, a few ulps per op. NAdam amplifies
    //   that where a gradient is near eps (or exactly 0, as for the biases that feed a BatchNorm: each
    //   engine's rounding noise becomes steps of about lr), so single weights can drift apart by a fraction
    //   of lr; the losses and the weights on average must agree.
    const data = blobs(320, 1400, 10, 3, 1.0);
    for (const variant of ['elu', 'bn', 'selu', 'alpha-dropout'] as const) {
      const run = async (engine: 'fused' | 'autograd'): Promise<[tn.History, Record<string, number[]>]> => {
        const model = mlp(variant, 1400, 96, 3);
        const h = await tn.fit(model, nadam(model, 1e-3), data, {
          epochs: 3,
          batchSize: 48,
          seed: 6,
          engine,
          recordBatches: true,
        });
        t.is(h.engine, engine);
        if (engine === 'fused') t.is(h.threads.largeGemmSplit, 2, variant);
        return [h, weights(model)];
      };
      const [ha, autograd] = await run('autograd');
      const [hf, fused] = await run('fused');
      const [, again] = await run('fused');
      t.is(maxDiff(again, fused), 0, `${variant}: two fused runs differ`);
      const lossDiff = Math.max(...Array.from(hf.batchLosses!, (v, i) => Math.abs(v - ha.batchLosses![i]!)));
      t.true(lossDiff < 1e-4, `${variant}: batch losses differ by up to ${lossDiff}`);
      let sum = 0;
      let count = 0;
      for (const [name, values] of Object.entries(fused)) {
        if (!/weight|bias/.test(name)) continue;
        values.forEach((v, i) => (sum += Math.abs(v - autograd[name]![i]!)));
        count += values.length;
      }
      t.true(sum / count < 1e-5, `${variant}: mean weight difference ${sum / count}`);
      t.true(sum > 0, `${variant}: the split path ran (it rounds differently)`);
    }
  },
);

test.serial('flushDenormals: subnormal moments become 0 in fit (default), stay subnormal when off', async (t) => {
  // Inputs of 1e-19 give weight gradients near 1e-20, whose square, a thousandth of it in NAdam's second
  // moment, is ~1e-43: a subnormal float32.
  const x = tn.full([8, 1], 1e-19);
  const y = tn.tensor([0, 1, 2, 3, 4, 5, 6, 7], { dtype: 'int64' });
  const secondMoment = async (flushDenormals?: boolean): Promise<number[]> => {
    tn.manualSeed(1);
    const model = new tn.nn.Sequential([new tn.nn.Linear(1, 10)]);
    const opt = nadam(model);
    await tn.fit(model, opt, { x, y }, { epochs: 1, batchSize: 8, seed: 1, flushDenormals });
    return Array.from(opt.stateDict()['state.0.exp_avg_sq']!.toArray() as Float32Array);
  };
  const ieee = await secondMoment(false);
  t.true(
    ieee.some((v) => v > 0 && v < 1.17549435e-38),
    `IEEE: subnormal moments (${ieee.slice(0, 3).join(', ')})`,
  );
  t.deepEqual(await secondMoment(), new Array(10).fill(0));
  t.deepEqual(await secondMoment(true), new Array(10).fill(0));
});

test.serial(
  'fit trains on the batches of the seeded permutation, in order: a JS loop over randperm agrees',
  async (t) => {
    // The oracle cuts each batch by hand (indexSelect), so a wrong, repeated or stale batch in the engine's
    // own cutting (buffers reused, the next batch cut beside the current one) shows up here.
    const data = blobs(100);
    for (const engine of ['fused', 'autograd'] as const) {
      const byFit = mlp('elu');
      const history = await tn.fit(byFit, nadam(byFit), data, { epochs: 2, batchSize: 16, seed: 5, engine });
      t.is(history.engine, engine);
      const byHand = mlp('elu');
      const opt = nadam(byHand);
      tn.manualSeed(5);
      for (let epoch = 0; epoch < 2; epoch++) {
        const order = tn.randperm(100);
        for (let start = 0; start < 100; start += 16) {
          const index = order.narrow(0, start, Math.min(16, 100 - start));
          opt.zeroGrad();
          const logits = byHand.forward(data.x.index(index));
          tn.nn.functional.crossEntropy(logits, data.y.index(index)).backward();
          opt.step();
        }
      }
      t.true(maxDiff(weights(byFit), weights(byHand)) < 1e-6, engine);
    }
  },
);

test.serial('abort via AbortSignal from onBatchEnd stops within the epoch and keeps the finished epochs', async (t) => {
  const data = blobs(4000);
  const model = mlp('elu');
  const controller = new AbortController();
  let abortedAt = 0;
  const history = await tn.fit(model, nadam(model), data, {
    epochs: 5,
    batchSize: 8, // 500 batches per epoch
    signal: controller.signal,
    progressIntervalMs: 0,
    recordBatches: true,
    onBatchEnd: (p) => {
      if (p.epoch === 2 && !controller.signal.aborted) {
        abortedAt = (p.epoch - 1) * p.batches + p.batch;
        controller.abort();
      }
    },
  });
  t.true(history.aborted);
  t.is(history.epochs.length, 1); // epoch 2 did not finish
  const trained = history.batchLosses!.length;
  t.true(trained >= abortedAt && trained < 1000, `trained ${trained} batches, aborted at ${abortedAt}`);
  // An already-aborted signal trains nothing.
  const h2 = await tn.fit(model, nadam(model), data, { epochs: 2, signal: AbortSignal.abort() });
  t.true(h2.aborted);
  t.is(h2.epochs.length, 0);
});

test.serial('abort from a timer resolves with the History so far', async (t) => {
  const data = blobs(4000);
  const model = mlp('elu');
  const start = Date.now();
  const history = await tn.fit(model, nadam(model), data, {
    epochs: 10000,
    batchSize: 8,
    signal: AbortSignal.timeout(300),
  });
  t.true(history.aborted);
  t.true(Date.now() - start < 20000);
  t.true(history.epochs.length < 10000);
});

test.serial(
  'a NaN loss stops with an Error naming the epoch and batch; error.history is there; best weights kept',
  async (t) => {
    const data = blobs(320);
    const validation = blobs(100, 20, 10, 4);
    const model = mlp('elu');
    const error = await t.throwsAsync(
      tn.fit(model, nadam(model, 1e-3), data, {
        epochs: 5,
        seed: 3,
        validation,
        earlyStopping: { patience: 10 },
        // epoch 3 runs with an absurd rate: the weights blow up within a few batches.
        schedule: (epoch, lr) => (epoch === 3 ? 1e35 : lr),
      }),
      { message: /loss became (NaN|infinite) at epoch 3, batch \d+ of 10/ },
    );
    const history = (error as Error & { history: tn.History }).history;
    t.is(history.epochs.length, 2);
    t.true(history.restoredBestWeights);
    t.regex(error!.message, /the best weights \(epoch [12]\) were restored/);
    const best = history.epochs[history.bestEpoch - 1]!.valLoss!;
    const { loss } = await tn.evaluate(model, validation);
    t.true(Math.abs(loss - best) <= 1e-6, `evaluate ${loss} vs best ${best}`);
  },
);

test.serial('an infinite input stops with an Error at its batch', async (t) => {
  const data = blobs(64);
  const values = data.x.toArray() as Float32Array;
  values[40 * 20 + 3] = Infinity; // sample 40: batch 3 of 4 (batch size 16, no shuffle)
  const x = tn.tensor(values, { shape: [64, 20] });
  const model = mlp('elu');
  await t.throwsAsync(tn.fit(model, nadam(model), { x, y: data.y }, { epochs: 2, batchSize: 16, shuffle: false }), {
    message: /loss became (NaN|infinite) at epoch 1, batch 3 of 4/,
  });
});

test.serial(
  'callbacks: an async onEpochEnd runs while the model is idle, and { stop: true } ends training',
  async (t) => {
    const data = blobs(200);
    const model = mlp('elu');
    const seen: number[] = [];
    const history = await tn.fit(model, nadam(model), data, {
      epochs: 10,
      onEpochEnd: async (log) => {
        await new Promise((r) => setTimeout(r, 20));
        // The model is idle: using it from JS here is allowed and sees the finished epoch.
        const out = tn.noGrad(() => model.forward(data.x.narrow(0, 0, 4)));
        t.deepEqual(out.shape, [4, 10]);
        seen.push(log.epoch);
        return log.epoch === 2 ? { stop: true } : undefined;
      },
      callbacks: [{ onTrainEnd: (h) => void seen.push(100 + h.epochs.length) }],
    });
    t.deepEqual(seen, [1, 2, 102]);
    t.true(history.stoppedByCallback);
    t.is(history.epochs.length, 2);
  },
);

test.serial('a callback that throws rejects fit with its error and the History', async (t) => {
  const data = blobs(100);
  const model = mlp('elu');
  const error = await t.throwsAsync(
    tn.fit(model, nadam(model), data, {
      epochs: 5,
      onEpochEnd: (log) => {
        if (log.epoch === 2) throw new Error('callback failed');
      },
    }),
    { message: 'callback failed' },
  );
  t.is((error as Error & { history: tn.History }).history.epochs.length, 2);
});

test.serial('exponential LR ramp: batchLrs follow start * (end / start) ^ (i / (steps - 1))', async (t) => {
  const data = blobs(200);
  const model = mlp('elu');
  const start = 1e-5;
  const end = 1;
  const history = await tn.fit(model, nadam(model), data, {
    epochs: 2,
    batchSize: 20,
    schedule: { type: 'exponential', start, end },
    recordBatches: true,
  });
  const lrs = history.batchLrs!;
  const steps = 20;
  t.is(lrs.length, steps);
  lrs.forEach((lr, i) => {
    const expected = start * Math.pow(end / start, i / (steps - 1));
    t.true(Math.abs(lr - expected) <= 1e-12 * expected, `step ${i}: ${lr} vs ${expected}`);
  });
  t.is(history.epochs[1]!.lr, lrs[steps - 1]!);
});

test.serial('onecycle: rises to maxLr then anneals far below it', async (t) => {
  const data = blobs(200);
  const model = mlp('elu');
  const history = await tn.fit(model, nadam(model), data, {
    epochs: 2,
    batchSize: 10,
    schedule: { type: 'onecycle', maxLr: 0.01 },
    recordBatches: true,
  });
  const lrs = Array.from(history.batchLrs!);
  t.true(Math.abs(lrs[0]! - 0.01 / 25) < 1e-12);
  t.true(Math.abs(Math.max(...lrs) - 0.01) < 1e-6);
  t.true(lrs[lrs.length - 1]! < 1e-5);
});

test.serial('a per-epoch schedule function sets each epoch rate', async (t) => {
  const data = blobs(100);
  const model = mlp('elu');
  const calls: [number, number][] = [];
  const history = await tn.fit(model, nadam(model, 0.004), data, {
    epochs: 4,
    schedule: (epoch, lr) => {
      calls.push([epoch, lr]);
      return lr / 2;
    },
    recordBatches: true,
  });
  t.deepEqual(
    history.epochs.map((e) => e.lr),
    [0.004, 0.002, 0.001, 0.0005],
  );
  t.deepEqual(calls.slice(0, 3), [
    [2, 0.004],
    [3, 0.002],
    [4, 0.001],
  ]);
  t.is(history.batchLrs![4], 0.002); // 4 batches per epoch: batch 5 is epoch 2's first
});

test.serial('uint8 input with inputTransform trains exactly like the pre-converted float input', async (t) => {
  const n = 200;
  const features = 48;
  let a = 5;
  const bytes = Uint8Array.from({ length: n * features }, () => ((a = (a * 1103515245 + 12345) >>> 0), a >>> 24));
  const u8 = tn.tensor(bytes, { shape: [n, 4, 4, 3], dtype: 'uint8' });
  const y = tn.tensor(
    Array.from({ length: n }, (_, i) => bytes[i * features]! % 10),
    { dtype: 'int64' },
  );
  const mean = tn.full([features], 0.45);
  const std = tn.full([features], 0.27);
  const scale = 1 / 255;
  const converted = u8.to('float32').reshape([n, features]).mul(scale).sub(mean).div(std);
  const run = async (data: tn.Dataset, inputTransform?: tn.InputTransform): Promise<[unknown, unknown]> => {
    const model = mlp('bn', features);
    const h = await tn.fit(model, nadam(model), data, {
      epochs: 2,
      seed: 4,
      inputTransform,
      validation: data,
      recordBatches: true,
    });
    return [timeless(h), weights(model)];
  };
  const [h1, w1] = await run({ x: u8, y }, { scale, mean, std });
  const [h2, w2] = await run({ x: converted, y });
  t.deepEqual(h1, h2);
  t.deepEqual(w1, w2);
  // evaluate/predict take the same transform.
  const model = mlp('bn', features);
  const e1 = await tn.evaluate(model, { x: u8, y }, { inputTransform: { scale, mean, std } });
  const e2 = await tn.evaluate(model, { x: converted, y });
  t.is(e1.loss, e2.loss);
});

test.serial("device 'cuda' on a CPU-only build is an Error that says CUDA is not available", async (t) => {
  if (tn.cuda.isAvailable()) {
    t.pass('CUDA is available here: nothing to check');
    return;
  }
  const data = blobs(20);
  const model = mlp('elu');
  await t.throwsAsync(tn.fit(model, nadam(model), data, { epochs: 1, device: 'cuda' }), {
    message: /CUDA is not available/,
  });
  await t.throwsAsync(tn.predict(model, data.x, { device: 'cuda:0' }), { message: /CUDA is not available/ });
  // 'auto' falls back to the CPU.
  const h = await tn.fit(model, nadam(model), data, { epochs: 1, device: 'auto' });
  t.is(h.epochs.length, 1);
});

test.serial('the busy guard: predict or a second fit on a model that is being fit rejects clearly', async (t) => {
  const data = blobs(2000);
  const model = mlp('elu');
  const running = tn.fit(model, nadam(model), data, { epochs: 2, batchSize: 8 });
  await t.throwsAsync(tn.predict(model, data.x), { message: /predict: the model is busy with fit/ });
  await t.throwsAsync(tn.fit(model, nadam(model), data, { epochs: 1 }), { message: /busy with fit/ });
  await running;
  const p = await tn.predict(model, data.x);
  t.deepEqual(p.shape, [2000, 10]);
});

test.serial('bad inputs give clear errors', async (t) => {
  const data = blobs(50);
  const model = mlp('elu');
  const opt = nadam(model);
  await t.throwsAsync(tn.fit(model, opt, { x: data.x, y: data.y.to('float32') }, { epochs: 1 }), {
    message: /y must be int64 class indices, got float32/,
  });
  await t.throwsAsync(tn.fit(model, opt, { x: data.x, y: data.y.narrow(0, 0, 40) }, { epochs: 1 }), {
    message: /x has 50 samples but y has shape \[40\]/,
  });
  await t.throwsAsync(tn.fit(model, opt, data, { epochs: 0 }), { message: /epochs must be a positive integer, got 0/ });
  await t.throwsAsync(tn.fit(model, opt, data, { epochs: 1, batchSize: 0 }), {
    message: /batchSize must be a positive integer/,
  });
  await t.throwsAsync(tn.fit(model, opt, data, { epochs: 1, earlyStopping: { patience: 2 } }), {
    message: /monitors val_loss but no validation data/,
  });
  await t.throwsAsync(tn.fit(model, opt, data, { epochs: 1, engine: 'magic' as 'auto' }), {
    message: /unknown engine 'magic'/,
  });
  await t.throwsAsync(tn.fit(model, opt, { x: data.x } as tn.Dataset, { epochs: 1 }), {
    instanceOf: TypeError,
    message: /data must be \{ x: Tensor, y: Tensor \}/,
  });
  // A model whose input width does not fit: the fused step declines, autograd names the problem.
  await t.throwsAsync(tn.fit(model, opt, { x: tn.zeros([50, 7]), y: data.y }, { epochs: 1 }), { message: /fit:/ });
});

test.serial('an optimizer over parameters outside the model makes fit use autograd, and say why', async (t) => {
  const data = blobs(100);
  const model = mlp('elu');
  const extra = tn.zeros([3]);
  extra.requiresGrad = true;
  const opt = new tn.optim.NAdam([...model.parameters(), extra]);
  const h = await tn.fit(model, opt, data, { epochs: 1 });
  t.is(h.engine, 'autograd');
  t.regex(h.engineReason ?? '', /not the model's/);
});
