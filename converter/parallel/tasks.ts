/**
 * The converter work a pool worker runs: the very functions the inline (one-thread) build calls,
 * so a pooled conversion writes the same bytes. Typed arrays in a task and its result are
 * transferred, never copied.
 */
import { f32ArrayToF16 } from '../../src/core/half';
import type { WeightFormat } from '../../src/core/manifest';
import { digestFile } from './runtime';
import { type TokenizerText, tokenizerText } from '../bundle/tokenizer';
import { decodeToF32, ITEM_SIZE, storedToF32 } from '../checkpoint/dtypes';
import type { StoredTensor } from '../checkpoint/types';
import { linearWeightData } from '../imagebind/layers';
import type { LinearFormat } from '../imagebind/quantize';
import { linearDataStreamed } from '../llama/graph/linear';
import type { LoraParts } from '../llama/lora';
import { quantizeStoredRowsQ8, type RowsQ8 } from '../quant/rows-q8';
import { toF16 } from '../quant/fp16';
import { convertLlamaTokenizer } from '../tokenizer/sentencepiece';
import { transferList } from './pool';
import type { FileHash } from './runtime';

export type Task =
  /** LLaMA Linear (n, k): per row chunk the initializer data, decoded and [LoRA-]merged a few rows at a time (linearDataStreamed). */
  | { kind: 'llama-linear'; w: StoredTensor | Float32Array; lora?: LoraParts; n: number; k: number; format: WeightFormat; chunks: [number, number][] }
  /** ImageBind Linear (n, k) in `format` (linearWeightData). */
  | { kind: 'imagebind-linear'; w: Float32Array; n: number; k: number; format: LinearFormat }
  /** Per-row int8 of a (rows, cols) table (raw tensor files), decoded a few rows at a time when stored. */
  | { kind: 'q8-rows'; data: StoredTensor | Float32Array; rows: number; cols: number }
  /** fp16 bits of a tensor (raw tensor files), decoded first when given as stored. */
  | { kind: 'f16'; data: StoredTensor | Float32Array }
  /** tokenizer.json text and ids from the HF tokenizer files in `dir` (tokenizerText). */
  | { kind: 'tokenizer'; dir: string }
  /** sha256 of a file written without one (streamed from disk). */
  | { kind: 'sha256-file'; path: string };

interface Results {
  'llama-linear': ArrayBufferView[][];
  'imagebind-linear': ArrayBufferView[];
  'q8-rows': RowsQ8;
  f16: Uint16Array;
  tokenizer: TokenizerText;
  'sha256-file': FileHash;
}

export type TaskResult<T extends Task> = Results[T['kind']];

/**
 * toF16(storedToF32(d)), a chunk at a time when `d` is contiguous (both are element-wise, so the
 * bits are the same): no float32 copy of a whole embedding table.
 */
function storedToF16(d: StoredTensor | Float32Array): Uint16Array {
  if (d instanceof Float32Array || d.stride) return toF16(d instanceof Float32Array ? d : storedToF32(d));
  const out = new Uint16Array(d.span);
  const size = ITEM_SIZE[d.dtype];
  for (let i = 0; i < d.span; i += F16_CHUNK) {
    const n = Math.min(F16_CHUNK, d.span - i);
    f32ArrayToF16(decodeToF32(d.bytes.subarray(i * size, (i + n) * size), d.dtype, n), out.subarray(i, i + n));
  }
  return out;
}

const F16_CHUNK = 1 << 20;

async function compute(t: Task): Promise<unknown> {
  switch (t.kind) {
    case 'llama-linear':
      return linearDataStreamed(t.w, t.lora, t.n, t.k, t.chunks, t.format);
    case 'imagebind-linear':
      return linearWeightData(t.w, t.n, t.k, t.format);
    case 'q8-rows':
      return quantizeStoredRowsQ8(t.data, t.rows, t.cols);
    case 'f16':
      return storedToF16(t.data);
    case 'tokenizer':
      return tokenizerText(await convertLlamaTokenizer(t.dir));
    case 'sha256-file':
      return digestFile(t.path);
  }
}

/** Entry point of worker.ts. */
export async function runTask(task: unknown): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  const result = await compute(task as Task);
  return { result, transfer: transferList(result) };
}
