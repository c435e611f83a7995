/**
 * A LLaMA-shaped HF checkpoint (Vicuna v0 layout, fp16, 2 shards + index) and a PandaGPT-style delta
 * (`llama_proj` + LoRA r=32 on q/k/v/o) with seeded random weights, for converter and decode
 * benchmarks. Key layouts: shared/spec/pandagpt.md §8.1-8.2. Reused when the stamp matches.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTorchCheckpoint, type WriterTensor } from '../../converter/checkpoint';
import { f32ToF16 } from '../../src/core/half';

export interface LlamaShape {
  name: string;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  vocab: number;
  loraRank: number;
}

/** ~0.94B parameters (the "~1B" of issue 2). */
export const LLAMA_1B: LlamaShape = { name: 'llama-1b', hidden: 2048, intermediate: 5504, layers: 16, heads: 16, vocab: 32001, loraRank: 32 };
/** ~0.17B parameters (the --quick size). */
export const LLAMA_SMALL: LlamaShape = { name: 'llama-0.17b', hidden: 1024, intermediate: 2752, layers: 8, heads: 16, vocab: 32001, loraRank: 32 };

const IMAGEBIND_DIM = 1024;
const STAMP = '.bench-stamp.json';
const TOKENIZER_FILES = ['tokenizer.model', 'special_tokens_map.json', 'tokenizer_config.json', 'added_tokens.json', 'generation_config.json'];

export interface SyntheticLlama {
  shape: LlamaShape;
  vicunaDir: string;
  deltaPath: string;
  /** Decoder parameters (embeddings + layers + norm + lm_head), excluding the delta. */
  params: number;
  /** Bytes of checkpoint input the converter reads (shards + delta). */
  inputBytes: number;
}

export function llamaParams(s: LlamaShape): number {
  const H = s.hidden;
  return s.layers * (4 * H * H + 3 * H * s.intermediate + 2 * H) + H + 2 * s.vocab * H;
}

/** Random fp16 values of one scale, drawn by index from a table so 1B values take seconds, not minutes. */
function randomFiller(seed: number, std: number): (n: number) => Uint16Array {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  const table = new Uint16Array(4096);
  // Uniform in [-a, a] with a = std·√3 has standard deviation std.
  for (let i = 0; i < table.length; i++) table[i] = f32ToF16(((next() / 2 ** 32) * 2 - 1) * std * Math.sqrt(3));
  return (n) => {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5; x >>>= 0;
      out[i] = table[x & 4095]!;
    }
    return out;
  };
}

const ones = (n: number): Uint16Array => new Uint16Array(n).fill(0x3c00);

function baseTensors(s: LlamaShape, layers: number[], first: boolean, last: boolean, rand: (n: number) => Uint16Array): WriterTensor[] {
  const H = s.hidden;
  const I = s.intermediate;
  const t = (name: string, shape: number[], data: () => Uint16Array): WriterTensor => ({ name, shape, data });
  const r = (name: string, shape: number[]): WriterTensor => t(name, shape, () => rand(shape.reduce((a, b) => a * b, 1)));
  const out: WriterTensor[] = [];
  if (first) out.push(r('model.embed_tokens.weight', [s.vocab, H]));
  for (const i of layers) {
    const p = `model.layers.${i}`;
    for (const q of ['q', 'k', 'v', 'o']) out.push(r(`${p}.self_attn.${q}_proj.weight`, [H, H]));
    out.push(r(`${p}.mlp.gate_proj.weight`, [I, H]), r(`${p}.mlp.down_proj.weight`, [H, I]), r(`${p}.mlp.up_proj.weight`, [I, H]));
    out.push(t(`${p}.input_layernorm.weight`, [H], () => ones(H)), t(`${p}.post_attention_layernorm.weight`, [H], () => ones(H)));
  }
  if (last) out.push(t('model.norm.weight', [H], () => ones(H)), r('lm_head.weight', [s.vocab, H]));
  return out;
}

function stampOf(s: LlamaShape): string {
  return JSON.stringify({ version: 1, shape: s });
}

/** Writes (or reuses) `<workDir>/<name>/vicuna/` and `<workDir>/<name>/delta.pt`. */
export async function ensureSyntheticLlama(workDir: string, s: LlamaShape, tokenizerDir: string, log: (m: string) => void): Promise<SyntheticLlama> {
  const dir = join(workDir, s.name);
  const vicunaDir = join(dir, 'vicuna');
  const deltaPath = join(dir, 'delta.pt');
  const stampPath = join(dir, STAMP);
  const shards = ['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin'];
  const present = existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stampOf(s) && existsSync(deltaPath) && shards.every((f) => existsSync(join(vicunaDir, f)));
  if (!present) {
    log(`generating ${s.name} checkpoint (${(llamaParams(s) / 1e9).toFixed(2)}B params) in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(vicunaDir, { recursive: true });
    const rand = randomFiller(0x5eed + s.layers, 0.02);
    const half = Math.ceil(s.layers / 2);
    const idx = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, k) => a + k);
    const parts = [baseTensors(s, idx(0, half), true, false, rand), baseTensors(s, idx(half, s.layers), false, true, rand)];
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    for (let k = 0; k < 2; k++) {
      for (const t of parts[k]!) {
        weightMap[t.name] = shards[k]!;
        totalSize += 2 * t.shape.reduce((a, b) => a * b, 1);
      }
      await writeTorchCheckpoint(join(vicunaDir, shards[k]!), parts[k]!);
    }
    writeFileSync(join(vicunaDir, 'pytorch_model.bin.index.json'), JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2));
    writeFileSync(join(vicunaDir, 'config.json'), JSON.stringify({
      architectures: ['LlamaForCausalLM'], bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', hidden_size: s.hidden,
      initializer_range: 0.02, intermediate_size: s.intermediate, max_position_embeddings: 2048, model_type: 'llama',
      num_attention_heads: s.heads, num_hidden_layers: s.layers, pad_token_id: 0, rms_norm_eps: 1e-6,
      tie_word_embeddings: false, torch_dtype: 'float16', transformers_version: '4.28.0.dev0', use_cache: true, vocab_size: s.vocab,
    }, null, 2));
    for (const f of TOKENIZER_FILES) if (existsSync(join(tokenizerDir, f))) copyFileSync(join(tokenizerDir, f), join(vicunaDir, f));

    // PandaGPT delta: fp16 Parameters; LoRA B small so the merged weights stay near the base.
    const lora = randomFiller(0xde17a, 0.01);
    const H = s.hidden;
    const R = s.loraRank;
    const delta: WriterTensor[] = [
      { name: 'llama_proj.weight', shape: [H, IMAGEBIND_DIM], data: () => lora(H * IMAGEBIND_DIM), parameter: true },
      { name: 'llama_proj.bias', shape: [H], data: () => lora(H), parameter: true },
    ];
    for (let i = 0; i < s.layers; i++) {
      for (const p of ['q', 'k', 'v', 'o']) {
        const pre = `llama_model.base_model.model.model.layers.${i}.self_attn.${p}_proj`;
        delta.push({ name: `${pre}.lora_A.default.weight`, shape: [R, H], data: () => lora(R * H), parameter: true });
        delta.push({ name: `${pre}.lora_B.default.weight`, shape: [H, R], data: () => lora(H * R), parameter: true });
      }
    }
    await writeTorchCheckpoint(deltaPath, delta, { archiveName: 'pytorch_model' });
    writeFileSync(stampPath, stampOf(s));
  }
  const inputBytes = [...shards.map((f) => join(vicunaDir, f)), deltaPath].reduce((a, f) => a + statSync(f).size, 0);
  return { shape: s, vicunaDir, deltaPath, params: llamaParams(s), inputBytes };
}
