import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectShape, openCheckpoint } from '../../../converter/checkpoint/index';
import { readNpy } from '../../helpers/npy';
import { DELTA, FIXTURE, IMAGEBIND, VICUNA } from './zip-fixtures';

const index = JSON.parse(readFileSync(`${FIXTURE}/reference/index.json`, 'utf8'));
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe('torch.save zip checkpoints (fixtures)', () => {
  it('lists the sharded vicuna directory exactly as its index maps it, with config shapes', async () => {
    const src = await openCheckpoint(VICUNA);
    const weightMap = JSON.parse(readFileSync(`${VICUNA}/pytorch_model.bin.index.json`, 'utf8')).weight_map as Record<string, string>;
    const names = src.list().map((t) => t.name);
    expect(new Set(names)).toEqual(new Set(Object.keys(weightMap)));
    expect(names).toHaveLength(23);
    for (const t of src.list()) {
      expect(t.file.endsWith(weightMap[t.name]!)).toBe(true);
      expect(t.dtype).toBe('float16');
    }
    const cfg = index.checkpoints.vicuna.config;
    const h = cfg.hidden_size as number;
    expectShape(src, 'model.embed_tokens.weight', [cfg.vocab_size, h]);
    expectShape(src, 'lm_head.weight', [cfg.vocab_size, h]);
    expectShape(src, 'model.layers.1.mlp.down_proj.weight', [h, cfg.intermediate_size]);
    expectShape(src, 'model.layers.0.self_attn.rotary_emb.inv_freq', [h / cfg.num_attention_heads / 2]);
    const total = src.list().reduce((a, t) => a + numel(t.shape) * 2, 0);
    // HF's total_size counts bytes of every tensor in the index.
    expect(total).toBe(JSON.parse(readFileSync(`${VICUNA}/pytorch_model.bin.index.json`, 'utf8')).metadata.total_size);
    await src.close();
  });

  it('reads fp16 values: the BOS row of embed_tokens is row 0 of the reference inputs_embeds', async () => {
    const src = await openCheckpoint(VICUNA);
    const emb = await src.readF32('model.embed_tokens.weight'); // (32001, 64)
    const ref = readNpy(`${FIXTURE}/reference/llm/image_dog/inputs_embeds.npy`); // (21, 64)
    expect(Array.from(emb.subarray(64, 128))).toEqual(Array.from(ref.data.subarray(0, 64) as Float32Array));
    // Row 1 of inputs_embeds is the first prompt id.
    const id = index.llm.cases[0].ids_before[0] as number;
    expect(Array.from(emb.subarray(id * 64, id * 64 + 64))).toEqual(Array.from(ref.data.subarray(64, 128) as Float32Array));
    await src.close();
  });

  it('merges the LoRA delta (fp16 Parameters) into layer 0 exactly as the reference does', async () => {
    const base = await openCheckpoint(VICUNA);
    const delta = await openCheckpoint(DELTA);
    expect(delta.list()).toHaveLength(2 + 2 * 4 * 2); // llama_proj w/b + A,B of q,k,v,o per layer
    expectShape(delta, 'llama_proj.weight', index.checkpoints.pandagpt_delta.llama_proj);
    const r = index.checkpoints.pandagpt_delta.lora_r as number;
    const scaling = index.llm.lora_scaling as number;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      const p = `llama_model.base_model.model.model.layers.0.self_attn.${proj}`;
      expectShape(delta, `${p}.lora_A.default.weight`, [r, 64]);
      expectShape(delta, `${p}.lora_B.default.weight`, [64, r]);
      const w = await base.readF32(`model.layers.0.self_attn.${proj}.weight`);
      const a = await delta.readF32(`${p}.lora_A.default.weight`); // (r, 64)
      const b = await delta.readF32(`${p}.lora_B.default.weight`); // (64, r)
      const merged = new Float32Array(64 * 64);
      for (let i = 0; i < 64; i++) {
        for (let j = 0; j < 64; j++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += b[i * r + k]! * a[k * 64 + j]!;
          merged[i * 64 + j] = w[i * 64 + j]! + scaling * s;
        }
      }
      const ref = readNpy(`${FIXTURE}/reference/llm/merged_layer0_${proj}.npy`);
      expect(ref.shape).toEqual([64, 64]);
      let maxDiff = 0;
      for (let i = 0; i < merged.length; i++) maxDiff = Math.max(maxDiff, Math.abs(merged[i]! - (ref.data[i] as number)));
      expect(maxDiff).toBeLessThan(1e-6);
      // The merge must matter, or this test would pass on the base weight alone.
      let deltaMax = 0;
      for (let i = 0; i < merged.length; i++) deltaMax = Math.max(deltaMax, Math.abs(merged[i]! - w[i]!));
      expect(deltaMax).toBeGreaterThan(1e-3);
    }
    await base.close();
    await delta.close();
  });

  it('lists all 211 fp32 ImageBind tensors (1,246,078 params) and reads scalars and buffers', async () => {
    const src = await openCheckpoint(IMAGEBIND);
    const list = src.list();
    expect(list).toHaveLength(index.checkpoints.imagebind.keys);
    expect(list.reduce((a, t) => a + numel(t.shape), 0)).toBe(index.checkpoints.imagebind.params);
    expect(list.every((t) => t.dtype === 'float32')).toBe(true);
    const cfg = JSON.parse(readFileSync(`${FIXTURE}/imagebind/config.json`, 'utf8'));
    for (const [name, value] of Object.entries(cfg.log_logit_scale as Record<string, number>)) {
      expect(src.info(name).shape).toEqual([]); // 0-d tensor
      expect(Array.from(await src.readF32(name))).toEqual([Math.fround(value)]);
    }
    const mask = await src.readF32('modality_preprocessors.text.mask'); // (77, 77) causal
    expect(src.info('modality_preprocessors.text.mask').shape).toEqual([77, 77]);
    for (let i = 0; i < 77; i++) for (let j = 0; j < 77; j++) expect(mask[i * 77 + j]).toBe(j > i ? -Infinity : 0);
    let total = 0;
    for (const t of list) total += (await src.readF32(t.name)).length;
    expect(total).toBe(index.checkpoints.imagebind.params);
    await src.close();
  });

  it('expectShape names file, tensor, expected and actual', async () => {
    const src = await openCheckpoint(IMAGEBIND);
    expect(() => expectShape(src, 'modality_preprocessors.text.mask', [77, 78])).toThrowError(
      expect.objectContaining({ code: 'CHECKPOINT_SHAPE_MISMATCH', message: expect.stringMatching(/imagebind\.pth.*text\.mask.*\[77, 77\].*\[77, 78\]/) }),
    );
    expect(() => expectShape(src, 'modality_trunks.vision.nope.weight', [1])).toThrowError(
      expect.objectContaining({ code: 'CHECKPOINT_MISSING_TENSOR', message: expect.stringMatching(/imagebind\.pth.*nope\.weight/) }),
    );
    await src.close();
  });
});
