/**
 * Checked access to the ImageBind state dict: every read names the key and asserts its shape, so
 * a wrong checkpoint fails with the offending key instead of producing a silently broken graph.
 */
import type { TensorSource } from '../checkpoint/types';
import { PandaError } from '../../src/core/errors';

export class Weights {
  /** Keys handed to a graph builder so far; the converter checks that none of an encoder's is left. */
  readonly used = new Set<string>();

  constructor(readonly src: TensorSource) {}

  has(name: string): boolean {
    return this.src.has(name);
  }

  shape(name: string): number[] {
    if (!this.src.has(name)) {
      throw new PandaError('CHECKPOINT_MISSING_TENSOR', `The ImageBind checkpoint has no tensor "${name}". Is this an ImageBind (imagebind_huge.pth-layout) state dict?`, { name });
    }
    return this.src.info(name).shape;
  }

  private cache = new Map<string, Float32Array>();

  /**
   * Loads every tensor under `prefix` so the (synchronous) graph builders can `get` them; the
   * converter preloads one block or stem at a time, which bounds memory by the largest block.
   */
  async preload(prefix: string): Promise<void> {
    for (const t of this.src.list()) {
      if (t.name.startsWith(prefix) && !this.cache.has(t.name)) this.cache.set(t.name, await this.src.readF32(t.name));
    }
  }

  /** Drops preloaded tensors under `prefix`. */
  release(prefix: string): void {
    for (const k of [...this.cache.keys()]) if (k.startsWith(prefix)) this.cache.delete(k);
  }

  /** A preloaded tensor as float32; `expect` entries < 0 are wildcards. */
  get(name: string, expect?: number[]): Float32Array {
    const shape = this.shape(name);
    if (expect && (expect.length !== shape.length || expect.some((d, i) => d >= 0 && d !== shape[i]))) {
      throw new PandaError('CHECKPOINT_SHAPE_MISMATCH', `ImageBind tensor "${name}" has shape [${shape}], expected [${expect.map((d) => (d < 0 ? '?' : d))}].`, { name, shape, expect });
    }
    const data = this.cache.get(name);
    if (!data) throw new Error(`internal: ImageBind tensor "${name}" was not preloaded`);
    this.used.add(name);
    return data;
  }

  /** `get`, and drops the tensor from the cache: the caller owns it (e.g. moves it to a worker). */
  take(name: string, expect?: number[]): Float32Array {
    const data = this.get(name, expect);
    this.cache.delete(name);
    return data;
  }

  /** Bytes the preloaded float32 tensors under `prefix` take. */
  bytesUnder(prefix: string): number {
    return this.src.list().reduce((a, t) => (t.name.startsWith(prefix) ? a + 4 * t.shape.reduce((x, y) => x * y, 1) : a), 0);
  }

  fileOf(name: string): string | undefined {
    return this.src.has(name) ? this.src.info(name).file : undefined;
  }
}

/** (rows, cols) row-major → (cols, rows): torch Linear weights (out,in) become MatMul's (in,out). */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}
