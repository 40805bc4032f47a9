// The small dense nets the questions train: Linear layers (zero biases) with an activation (and dropout)
// after each hidden one. One builder, so that every question's nets consume the generator the same way.
import * as tn from '../index';

export interface DenseNetOptions {
  /** Hidden layers' activation (default ELU). */
  activation?: () => tn.nn.Module;
  /** Hidden layers' kernel initializer (default he_normal). */
  init?: tn.nn.Initializer;
  /** Output layer's kernel initializer (default glorot_uniform, as Keras' Dense). */
  outputInit?: tn.nn.Initializer;
  /** Dropout rate after each hidden activation (default none). */
  dropout?: number;
}

export function denseNet(
  features: number,
  hidden: readonly number[],
  outputs: number,
  options: DenseNetOptions = {},
): tn.nn.Sequential {
  const {
    activation = () => new tn.nn.ELU(),
    init = 'he_normal',
    outputInit = 'glorot_uniform',
    dropout = 0,
  } = options;
  const sizes = [features, ...hidden];
  const layers: tn.nn.Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(
      new tn.nn.Linear(sizes[i] as number, sizes[i + 1] as number, {
        kernelInitializer: init,
        biasInitializer: 'zeros',
      }),
      activation(),
    );
    if (dropout > 0) layers.push(new tn.nn.Dropout(dropout));
  }
  layers.push(
    new tn.nn.Linear(sizes.at(-1) as number, outputs, { kernelInitializer: outputInit, biasInitializer: 'zeros' }),
  );
  return new tn.nn.Sequential(layers);
}
