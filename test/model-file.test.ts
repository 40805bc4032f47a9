// tn.save / tn.load / tn.loadModel / tn.loadStateDict: a model file round trip is bit-exact and rebuilds the
// architecture; what is saved beside the weights comes back; a file that is not a model says so by name.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import * as tn from '../lib/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-model-file-'));
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bytes(t: tn.Tensor): Buffer {
  const a = t.toArray();
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function model(): tn.nn.Sequential {
  return new tn.nn.Sequential([
    new tn.nn.BatchNorm1d(6, { eps: 1e-3, momentum: 0.01 }),
    new tn.nn.Linear(6, 5, { kernelInitializer: 'lecun_normal', biasInitializer: 'zeros' }),
    new tn.nn.SELU(),
    new tn.nn.AlphaDropout(0.1),
    new tn.nn.Linear(5, 3),
  ]);
}

test('save then load: same architecture, bit-exact parameters and buffers, same outputs', async (t) => {
  tn.manualSeed(3);
  const original = model();
  // Move the batch norm statistics away from their initial values so that buffers are really compared.
  original.train();
  original.forward(tn.randn([16, 6]).mul(3).add(1));
  const file = path.join(tmp, 'model.safetensors');
  await tn.save(original, file, { extra: { note: 'kept' }, extraTensors: { mean: tn.tensor([1, 2]) } });

  const loaded = await tn.load(file);
  const json = (m: tn.nn.Module): unknown => JSON.parse(JSON.stringify(m.config));
  t.deepEqual(json(loaded), json(original));
  const a = original.stateDict();
  const b = loaded.stateDict();
  t.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const name of Object.keys(a)) t.true(bytes(a[name]!).equals(bytes(b[name]!)), name);

  const x = tn.randn([4, 6]);
  original.eval();
  loaded.eval();
  t.true(bytes(original.forward(x)).equals(bytes(loaded.forward(x))));

  const { extra, extraTensors } = await tn.loadModel(file);
  t.deepEqual(extra, { note: 'kept' });
  t.deepEqual(extraTensors.mean!.tolist(), [1, 2]);
  const dict = await tn.loadStateDict(file);
  t.false(
    Object.keys(dict).some((k) => k.startsWith('extra.')),
    'extra tensors are not part of the state dict',
  );
  const fresh = model();
  fresh.loadStateDict(dict);
  t.true(bytes(fresh.stateDict()['1.weight']!).equals(bytes(a['1.weight']!)));
});

test('load names the file when it holds no torchnode architecture or is not safetensors at all', async (t) => {
  const plain = path.join(tmp, 'plain.safetensors');
  await tn.writeSafetensors(plain, { w: tn.ones([2]) });
  await t.throwsAsync(tn.load(plain), {
    message: new RegExp(`${plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a torchnode model file`),
  });
  const garbage = path.join(tmp, 'garbage.safetensors');
  fs.writeFileSync(garbage, 'not a model');
  await t.throwsAsync(tn.load(garbage), { message: /garbage\.safetensors/ });
  await t.throwsAsync(tn.save({} as tn.nn.Module, path.join(tmp, 'x.safetensors')), { instanceOf: TypeError });
});
