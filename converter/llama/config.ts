/**
 * Reads a HF LLaMA-1 `config.json` (Vicuna v0) into the manifest's LlmConfig.
 * RoPE theta is not in LLaMA-1 configs: transformers 4.29 hard-codes 10000 (spec §5.1).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PandaError } from '../../src/core/errors';
import type { LlmConfig } from '../../src/core/manifest';

const DEFAULT_ROPE_THETA = 10000;

function num(raw: Record<string, unknown>, key: string, file: string): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: "${key}" is missing or not a number. Point --vicuna at a HF LLaMA/Vicuna folder.`, { file, key });
  }
  return v;
}

export function parseLlamaConfig(raw: unknown, file = 'config.json'): LlmConfig {
  if (typeof raw !== 'object' || raw === null) throw new PandaError('CHECKPOINT_FORMAT', `${file} is not a JSON object.`, { file });
  const r = raw as Record<string, unknown>;
  if (r.model_type !== undefined && r.model_type !== 'llama') {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: model_type is ${JSON.stringify(r.model_type)}; only LLaMA (Vicuna v0) is supported.`, { file });
  }
  if (r.hidden_act !== undefined && r.hidden_act !== 'silu') {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: hidden_act ${JSON.stringify(r.hidden_act)} is not supported (LLaMA uses silu).`, { file });
  }
  if (r.tie_word_embeddings === true) {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: tied embeddings are not LLaMA-1; this converter expects a separate lm_head.`, { file });
  }
  const hiddenSize = num(r, 'hidden_size', file);
  const numHeads = num(r, 'num_attention_heads', file);
  if (hiddenSize % numHeads !== 0) throw new PandaError('CHECKPOINT_FORMAT', `${file}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}.`, { file });
  const headDim = hiddenSize / numHeads;
  if (headDim % 2 !== 0) throw new PandaError('CHECKPOINT_FORMAT', `${file}: head dim ${headDim} must be even for RoPE.`, { file });
  if (r.num_key_value_heads !== undefined && r.num_key_value_heads !== numHeads) {
    throw new PandaError('CHECKPOINT_FORMAT', `${file}: grouped-query attention is not LLaMA-1; this converter expects num_key_value_heads = num_attention_heads.`, { file });
  }
  return {
    hiddenSize,
    intermediateSize: num(r, 'intermediate_size', file),
    numLayers: num(r, 'num_hidden_layers', file),
    numHeads,
    headDim,
    vocabSize: num(r, 'vocab_size', file),
    rmsNormEps: num(r, 'rms_norm_eps', file),
    ropeTheta: typeof r.rope_theta === 'number' ? r.rope_theta : DEFAULT_ROPE_THETA,
    maxPositions: typeof r.max_position_embeddings === 'number' ? r.max_position_embeddings : 2048,
  };
}

export async function readLlamaConfig(vicunaDir: string): Promise<LlmConfig> {
  const file = join(vicunaDir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new PandaError('CHECKPOINT_FORMAT', `${file} not found. --vicuna must be a HF LLaMA/Vicuna v0 folder (config.json + pytorch_model*.bin).`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PandaError('CHECKPOINT_FORMAT', `${file} is not valid JSON.`, { file });
  }
  return parseLlamaConfig(raw, file);
}
