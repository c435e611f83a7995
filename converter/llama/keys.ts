/**
 * Tensor names in the HF Vicuna checkpoint and in the PandaGPT delta (spec §8.1, §8.2), with the
 * shape each must have for a given config.
 */
import type { LlmConfig } from '../../src/core/manifest';

export type AttnProj = 'q' | 'k' | 'v' | 'o';
export const ATTN_PROJS: readonly AttnProj[] = ['q', 'k', 'v', 'o'];
export type MlpProj = 'gate' | 'up' | 'down';

export const baseKeys = {
  embed: 'model.embed_tokens.weight',
  norm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  attn: (i: number, p: AttnProj) => `model.layers.${i}.self_attn.${p}_proj.weight`,
  mlp: (i: number, p: MlpProj) => `model.layers.${i}.mlp.${p}_proj.weight`,
  inputNorm: (i: number) => `model.layers.${i}.input_layernorm.weight`,
  postNorm: (i: number) => `model.layers.${i}.post_attention_layernorm.weight`,
};

/** A persistent buffer in 4.28-era saves; recomputed in-graph, so it is ignored. */
export const isRotaryBuffer = (key: string): boolean => /\.rotary_emb\.inv_freq$/.test(key);

const LORA_PREFIX = 'llama_model.base_model.model.model.layers';

export const deltaKeys = {
  projWeight: 'llama_proj.weight',
  projBias: 'llama_proj.bias',
  loraA: (i: number, p: AttnProj) => `${LORA_PREFIX}.${i}.self_attn.${p}_proj.lora_A.default.weight`,
  loraB: (i: number, p: AttnProj) => `${LORA_PREFIX}.${i}.self_attn.${p}_proj.lora_B.default.weight`,
};

/** Every base tensor the converter needs, with its expected shape. */
export function expectedBaseShapes(c: LlmConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  m.set(baseKeys.embed, [c.vocabSize, H]);
  for (let i = 0; i < c.numLayers; i++) {
    for (const p of ATTN_PROJS) m.set(baseKeys.attn(i, p), [H, H]);
    m.set(baseKeys.mlp(i, 'gate'), [I, H]);
    m.set(baseKeys.mlp(i, 'up'), [I, H]);
    m.set(baseKeys.mlp(i, 'down'), [H, I]);
    m.set(baseKeys.inputNorm(i), [H]);
    m.set(baseKeys.postNorm(i), [H]);
  }
  m.set(baseKeys.norm, [H]);
  m.set(baseKeys.lmHead, [c.vocabSize, H]);
  return m;
}
