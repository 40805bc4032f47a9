// Weight initializers, by name or as a small object for the parameterized ones.

/**
 * - `he_normal`, `lecun_normal`, `glorot_normal`: Keras semantics, a normal truncated at 2 sigma with sigma
 *   corrected so the final std is sqrt(2/fanIn), sqrt(1/fanIn), sqrt(2/(fanIn+fanOut));
 * - `glorot_uniform`: U(-l, l), l = sqrt(6/(fanIn+fanOut)); `kaiming_uniform`: l = sqrt(6/fanIn);
 * - `kaiming_normal`: PyTorch's, untruncated N(0, 2/fanIn);
 * - `zeros`, `ones`; `torch_default`: what PyTorch's layer does by itself.
 */
export type InitializerName =
  | 'he_normal'
  | 'lecun_normal'
  | 'glorot_uniform'
  | 'glorot_normal'
  | 'kaiming_normal'
  | 'kaiming_uniform'
  | 'zeros'
  | 'ones'
  | 'torch_default';

export type Initializer =
  | InitializerName
  | { constant: number }
  | { normal: { mean?: number; std: number } }
  | { uniform: { low: number; high: number } };

/** @internal The form native/init.cc takes. */
export function nativeInitializer(
  init: Initializer | undefined,
): string | { name: string; a: number; b: number } | undefined {
  if (init === undefined || typeof init === 'string') return init;
  if ('constant' in init) return { name: 'constant', a: init.constant, b: 0 };
  if ('normal' in init) return { name: 'normal', a: init.normal.mean ?? 0, b: init.normal.std };
  if ('uniform' in init) return { name: 'uniform', a: init.uniform.low, b: init.uniform.high };
  throw new TypeError(`unknown initializer ${JSON.stringify(init)}`);
}
