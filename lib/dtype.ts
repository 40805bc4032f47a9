// Element types and devices, as torchnode names them.

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';

/** 'cpu', 'cuda' (the current CUDA device) or 'cuda:N'. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64', 'uint8', 'bool'];

/** What `toArray()` returns for each dtype: int64 is exact as BigInt64Array, bool is 0/1 bytes. */
export interface TypedArrayOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type TensorData = TypedArrayOf[DType];

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

export function isDevice(value: unknown): value is Device {
  return typeof value === 'string' && /^(cpu|cuda(:\d+)?)$/.test(value);
}

/** The dtype a TypedArray holds natively, or undefined for types torchnode has no dtype for. */
export function dtypeOfTypedArray(data: ArrayBufferView): DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  return undefined;
}

/** Copies numbers into the TypedArray a dtype is stored in. */
export function typedArrayFor(dtype: DType, values: ArrayLike<number | bigint | boolean>): TensorData {
  const n = values.length;
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values as ArrayLike<number>, Number);
    case 'float64':
      return Float64Array.from(values as ArrayLike<number>, Number);
    case 'int32':
      return Int32Array.from(values as ArrayLike<number>, Number);
    case 'uint8':
      return Uint8Array.from(values as ArrayLike<number>, Number);
    case 'bool':
      return Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'bigint') out[i] = v;
        else if (Number.isInteger(Number(v))) out[i] = BigInt(Number(v));
        else throw new Error(`tensor: int64 values must be integers, got ${String(v)} at index ${i}`);
      }
      return out;
    }
  }
}
