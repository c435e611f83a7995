/**
 * The contract every checkpoint reader implements: a lazy, streaming view of named tensors.
 * Listing is cheap (reads only headers/pickles); `read` loads one tensor (converted to float32),
 * so converter memory is bounded by the largest tensor, never by the file.
 */
export type StorageDType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export interface TensorInfo {
  name: string;
  dtype: StorageDType;
  shape: number[];
  /** The file the bytes live in (for error messages). */
  file: string;
}

/**
 * A tensor's bytes as stored (only the span its view touches), before decoding: what a worker
 * thread gets so the float32 decode runs there too (`storedToF32` = what `readF32` returns).
 */
export interface StoredTensor {
  bytes: Uint8Array;
  dtype: StorageDType;
  /** Elements in `bytes`. */
  span: number;
  shape: number[];
  /** Element strides of a non-contiguous view; absent when contiguous. */
  stride?: number[];
}

export interface TensorSource {
  /** All tensors, in file order. */
  list(): TensorInfo[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** Reads one tensor, converted to float32, contiguous row-major. */
  readF32(name: string): Promise<Float32Array>;
  /** The stored bytes of one tensor, undecoded (file readers have it; others only `readF32`). */
  readStored?(name: string): Promise<StoredTensor>;
  close(): Promise<void>;
}
