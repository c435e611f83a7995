/**
 * The decoder's KV cache and what it holds: per layer `past_key_values.{i}.key|value`
 * (1, heads, P, headDim), plus the prompt items those P positions came from, so a later turn
 * can reuse the longest common prefix. Replaced GPU tensors are disposed (the classic WebGPU leak).
 */
import { f32ArrayToF16 } from '../half';
import type { DecoderIo, LlmConfig } from '../manifest';
import type { OrtModule, OrtTensor } from '../ort';
import type { PromptItem } from './prompt';

export class KvCache {
  items: PromptItem[] = [];
  private past: OrtTensor[] = [];

  constructor(
    private readonly ort: OrtModule,
    private readonly config: LlmConfig,
    private readonly io: DecoderIo,
    private readonly dtype: 'float32' | 'float16',
  ) {}

  get length(): number {
    return this.items.length;
  }

  private names(kind: 'past' | 'present'): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.config.numLayers; i++) {
      const k = kind === 'past' ? this.io.pastKey : this.io.presentKey;
      const v = kind === 'past' ? this.io.pastValue : this.io.presentValue;
      out.push(k.replace('{i}', String(i)), v.replace('{i}', String(i)));
    }
    return out;
  }

  /** A float tensor in the graph's boundary dtype. */
  floatTensor(data: Float32Array, dims: number[]): OrtTensor {
    return this.dtype === 'float32' ? new this.ort.Tensor('float32', data, dims) : new this.ort.Tensor('float16', f32ArrayToF16(data), dims);
  }

  feeds(): Record<string, OrtTensor> {
    const names = this.names('past');
    const feeds: Record<string, OrtTensor> = {};
    if (this.past.length === 0) {
      const empty = [1, this.config.numHeads, 0, this.config.headDim];
      for (const n of names) feeds[n] = this.floatTensor(new Float32Array(0), empty);
    } else {
      names.forEach((n, i) => (feeds[n] = this.past[i]!));
    }
    return feeds;
  }

  /** Take the present tensors of a run as the new past; `fed` are the positions just run. */
  update(outputs: Record<string, OrtTensor>, fed: PromptItem[]): void {
    const next = this.names('present').map((n) => {
      const t = outputs[n];
      if (!t) throw new Error(`decoder did not return "${n}"`);
      return t;
    });
    this.disposePast();
    this.past = next;
    this.items = [...this.items, ...fed];
  }

  /** Keep only the first n positions (a later turn diverged from the cached prompt). */
  async truncate(n: number): Promise<void> {
    if (n >= this.items.length) return;
    if (n === 0) {
      this.reset();
      return;
    }
    const P = this.items.length;
    const { numHeads: heads, headDim: hd } = this.config;
    const sliced: OrtTensor[] = [];
    for (const t of this.past) {
      const data = (t.location === 'cpu' ? t.data : await t.getData()) as Float32Array | Uint16Array;
      const Ctor = data.constructor as Float32ArrayConstructor | Uint16ArrayConstructor;
      const out = new Ctor(heads * n * hd);
      for (let h = 0; h < heads; h++) out.set(data.subarray(h * P * hd, h * P * hd + n * hd), h * n * hd);
      sliced.push(new this.ort.Tensor(t.type as 'float32', out as Float32Array, [1, heads, n, hd]));
    }
    this.disposePast();
    this.past = sliced;
    this.items = this.items.slice(0, n);
  }

  reset(): void {
    this.disposePast();
    this.past = [];
    this.items = [];
  }

  private disposePast(): void {
    for (const t of this.past) if (t.location !== 'cpu') t.dispose();
  }
}
