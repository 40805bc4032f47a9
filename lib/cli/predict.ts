// `torchnode predict --model M [--mc-samples N] FILES...`: classes and confidence for CIFAR-format images.
// Accepted inputs: CIFAR-10 batch files (records of 3,073 bytes: label + 3,072 pixel bytes, any record count;
// the name must end in .bin) and raw records of 3,072 bytes (1,024 R, 1,024 G, 1,024 B, row-major 32x32; any
// multiple of 3,072 bytes, any other name). PNG/JPEG decoding is not supported: convert images to raw records.
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { standardizationFromTensors } from '../data/transforms';
import { inputTransform, type InputSpec } from '../exercise/data';
import { loadModel } from '../io/model-file';
import { tensor, type Tensor } from '../tensor';
import { predict, predictMC } from '../train';

const PIXELS = 3072;
const RECORD = 3073;
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export interface Images {
  /** uint8 [N, 32, 32, 3] (the layout the exercise trains on). */
  x: Tensor;
  names: string[];
  labels: (number | undefined)[];
}

export function readImages(files: readonly string[]): Images {
  const chunks: Buffer[] = [];
  const names: string[] = [];
  const labels: (number | undefined)[] = [];
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const batch = file.toLowerCase().endsWith('.bin');
    const size = batch ? RECORD : PIXELS;
    if (bytes.length === 0 || bytes.length % size !== 0) {
      throw new Error(
        `${file}: ${bytes.length} bytes is not a whole number of ${batch ? 'CIFAR batch records (3,073 bytes: label + pixels)' : 'raw 3,072-byte records'}` +
          (batch ? '' : ' (CIFAR batch files must end in .bin; PNG/JPEG are not supported)'),
      );
    }
    const count = bytes.length / size;
    for (let i = 0; i < count; i++) {
      const record = bytes.subarray(i * size, (i + 1) * size);
      if (batch) {
        const label = record[0] as number;
        if (label > 9) throw new Error(`${file}: record ${i} has label ${label}; CIFAR-10 labels are 0-9`);
        labels.push(label);
        chunks.push(record.subarray(1));
      } else {
        labels.push(undefined);
        chunks.push(record);
      }
      names.push(count === 1 ? file : `${file}#${i}`);
    }
  }
  if (chunks.length === 0) throw new Error('predict: no images given');
  const all = Buffer.concat(chunks);
  const chw = tensor(new Uint8Array(all.buffer, all.byteOffset, all.length), {
    shape: [chunks.length, 3, 32, 32],
    dtype: 'uint8',
  });
  const hwc = chw.permute([0, 2, 3, 1]);
  const x = hwc.contiguous();
  chw.dispose();
  hwc.dispose();
  return { x, names, labels };
}

export interface Prediction {
  image: string;
  class: string;
  index: number;
  confidence: number;
  /** MC Dropout: std across samples of the predicted class's probability. */
  std?: number;
  label?: string;
}

export async function predictFiles(modelPath: string, files: readonly string[], mcSamples = 0): Promise<Prediction[]> {
  const { model, extra, extraTensors } = await loadModel(modelPath);
  const input = (extra.input ?? { mode: 'raw', scale: 1 }) as { mode: InputSpec['mode']; scale: number };
  const spec: InputSpec = { mode: input.mode, scale: input.scale };
  if (input.mode === 'standardized') spec.standardization = standardizationFromTensors(extraTensors);
  const transform = inputTransform(spec);
  const classes = Array.isArray(extra.classes) ? (extra.classes as string[]) : CLASSES;
  const images = readImages(files);
  let mean: Tensor;
  let std: Tensor | undefined;
  if (mcSamples > 0)
    ({ mean, std } = await predictMC(model, images.x, { samples: mcSamples, inputTransform: transform }));
  else mean = await predict(model, images.x, { inputTransform: transform });
  const [n, k] = mean.shape as [number, number];
  const p = mean.toArray() as Float32Array;
  const s = std?.toArray() as Float32Array | undefined;
  const out: Prediction[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if ((p[i * k + c] as number) > (p[i * k + best] as number)) best = c;
    const row: Prediction = {
      image: images.names[i] as string,
      class: classes[best] ?? String(best),
      index: best,
      confidence: p[i * k + best] as number,
    };
    if (s) row.std = s[i * k + best] as number;
    const label = images.labels[i];
    if (label !== undefined) row.label = classes[label] ?? String(label);
    out.push(row);
  }
  return out;
}

export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('classes and confidence for images: CIFAR .bin batch files or raw 3,072-byte records (no PNG)')
    .requiredOption('--model <file>', 'a model.safetensors written by torchnode exercise/train')
    .option('--mc-samples <n>', 'MC Dropout samples (0: one plain pass; default 0)', (v) => Number.parseInt(v, 10))
    .option('--json', 'print JSON')
    .argument('<files...>', 'CIFAR-format batch files (.bin) or raw 3,072-byte records')
    .action(async (files: string[], flags: { model: string; mcSamples?: number; json?: boolean }) => {
      const samples = flags.mcSamples ?? 0;
      if (!Number.isInteger(samples) || samples < 0) throw new Error('--mc-samples must be a non-negative integer');
      const rows = await predictFiles(flags.model, files, samples);
      if (flags.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      for (const r of rows) {
        process.stdout.write(
          `${r.image}\t${r.class}\t${(r.confidence * 100).toFixed(1)} %` +
            (r.std !== undefined ? ` ± ${(r.std * 100).toFixed(1)}` : '') +
            (r.label !== undefined ? `\t(label: ${r.label})` : '') +
            '\n',
        );
      }
    });
}
