/**
 * The LLM's weights as the graph builder sees them: base Vicuna tensors with the PandaGPT LoRA
 * delta merged into q/k/v/o on read. Every key and shape is validated up front against the base
 * config, so a wrong delta (e.g. 7B against a 13B base) fails before anything is written.
 * Tensors are read one at a time (memory bounded by the largest tensor).
 */
import { PandaError } from '../../src/core/errors';
import type { LlmConfig } from '../../src/core/manifest';
import type { StoredTensor, TensorInfo, TensorSource } from '../checkpoint/types';
import { ATTN_PROJS, type AttnProj, baseKeys, deltaKeys, expectedBaseShapes } from './keys';
import { type LoraInfo, type LoraParts, loraInfo, mergeLora } from './lora';

const FLOAT_DTYPES = new Set(['float32', 'float16', 'bfloat16', 'float64']);

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkTensor(src: TensorSource, name: string, want: number[], what: string, base: LlmConfig): TensorInfo {
  if (!src.has(name)) {
    throw new PandaError('CHECKPOINT_MISSING_TENSOR', `The ${what} has no tensor "${name}". Check that it is the right checkpoint for this model.`, { tensor: name });
  }
  const info = src.info(name);
  if (!FLOAT_DTYPES.has(info.dtype)) {
    throw new PandaError('UNSUPPORTED_DTYPE', `${info.file}: tensor "${name}" has dtype ${info.dtype}; expected a float type.`, { file: info.file, tensor: name, dtype: info.dtype });
  }
  if (!sameShape(info.shape, want)) {
    throw new PandaError(
      'CHECKPOINT_SHAPE_MISMATCH',
      `${info.file}: tensor "${name}" has shape [${info.shape}] but the base model (hidden_size ${base.hiddenSize}, ${base.numLayers} layers) needs [${want}]. ` +
        'The delta and the Vicuna weights must be the same model size (7B with 7B, 13B with 13B).',
      { file: info.file, tensor: name, shape: info.shape, expected: want },
    );
  }
  return info;
}

export interface ValidatedLlama {
  config: LlmConfig;
  lora: LoraInfo;
  /** llama_proj input dim (ImageBind output dim: 1024 for the real model). */
  projInDim: number;
}

/** Checks every tensor the conversion will read; throws a PandaError naming file and tensor. */
export function validateLlama(base: TensorSource, delta: TensorSource, config: LlmConfig, loraAlpha?: number): ValidatedLlama {
  for (const [name, shape] of expectedBaseShapes(config)) checkTensor(base, name, shape, 'Vicuna checkpoint', config);
  const H = config.hiddenSize;
  if (!delta.has(deltaKeys.projWeight)) {
    throw new PandaError('CHECKPOINT_MISSING_TENSOR', `The PandaGPT delta has no "${deltaKeys.projWeight}". Pass the PandaGPT pytorch_model.pt as --delta.`, { tensor: deltaKeys.projWeight });
  }
  const projInfo = delta.info(deltaKeys.projWeight);
  const projInDim = projInfo.shape[1] ?? 0;
  checkTensor(delta, deltaKeys.projWeight, [H, projInDim], 'PandaGPT delta', config);
  checkTensor(delta, deltaKeys.projBias, [H], 'PandaGPT delta', config);

  const a0 = deltaKeys.loraA(0, 'q');
  if (!delta.has(a0)) throw new PandaError('CHECKPOINT_MISSING_TENSOR', `The PandaGPT delta has no LoRA tensor "${a0}".`, { tensor: a0 });
  const rank = delta.info(a0).shape[0] ?? 0;
  for (let i = 0; i < config.numLayers; i++) {
    for (const p of ATTN_PROJS) {
      checkTensor(delta, deltaKeys.loraA(i, p), [rank, H], 'PandaGPT delta', config);
      checkTensor(delta, deltaKeys.loraB(i, p), [H, rank], 'PandaGPT delta', config);
    }
  }
  // Tensors for layers beyond config.json's count mean a different model size (delta) or a
  // config.json that does not belong to these weights (base).
  for (const [src, what] of [
    [delta, 'The delta and the Vicuna weights must be the same model size.'],
    [base, 'config.json does not match the Vicuna weights.'],
  ] as const) {
    for (const t of src.list()) {
      const m = /\.layers\.(\d+)\./.exec(t.name);
      if (m && Number(m[1]) >= config.numLayers) {
        throw new PandaError('CHECKPOINT_SHAPE_MISMATCH', `${t.file}: tensor "${t.name}" is for layer ${m[1]}, but the base model has ${config.numLayers} layers. ${what}`, { file: t.file, tensor: t.name });
      }
    }
  }
  return { config, lora: loraInfo(rank, loraAlpha), projInDim };
}

export class LlamaWeights {
  constructor(
    private readonly base: TensorSource,
    private readonly delta: TensorSource,
    readonly v: ValidatedLlama,
  ) {}

  get config(): LlmConfig {
    return this.v.config;
  }

  /** A base tensor as stored (norm weights, MLP, embeddings, lm_head), float32. */
  read(name: string): Promise<Float32Array> {
    return this.base.readF32(name);
  }

  /** q/k/v/o of layer i, (H, H) in HF (out, in) layout, LoRA merged. */
  async attn(i: number, p: AttnProj): Promise<Float32Array> {
    const H = this.config.hiddenSize;
    const { rank, scaling } = this.v.lora;
    const w = await this.base.readF32(baseKeys.attn(i, p));
    const a = await this.delta.readF32(deltaKeys.loraA(i, p));
    const b = await this.delta.readF32(deltaKeys.loraB(i, p));
    return mergeLora(w, a, b, H, H, rank, scaling);
  }

  /** A base tensor as stored, for a worker to decode (`storedToF32`), or float32 if the source cannot. */
  readStored(name: string): Promise<StoredTensor | Float32Array> {
    return this.base.readStored ? this.base.readStored(name) : this.base.readF32(name);
  }

  /** Shape and file of a base tensor (for admission and error messages). */
  info(name: string): TensorInfo {
    return this.base.info(name);
  }

  /**
   * The LoRA factors of q/k/v/o of layer i, for a pooled build that merges them on a worker
   * (exactly `attn`'s mergeLora). A subclass that changes `attn` must build without a pool.
   */
  async loraParts(i: number, p: AttnProj): Promise<LoraParts> {
    const { rank, scaling } = this.v.lora;
    return { a: await this.delta.readF32(deltaKeys.loraA(i, p)), b: await this.delta.readF32(deltaKeys.loraB(i, p)), rank, scaling };
  }

  readDelta(name: string): Promise<Float32Array> {
    return this.delta.readF32(name);
  }
}
