import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../../converter/checkpoint';
import type { TensorSource } from '../../../converter/checkpoint/types';
import { readLlamaConfig } from '../../../converter/llama/config';
import { ATTN_PROJS, baseKeys } from '../../../converter/llama/keys';
import { mergeLora } from '../../../converter/llama/lora';
import { LlamaWeights, validateLlama } from '../../../converter/llama/weights';
import { DELTA, f32, fixtureIndex, maxAbsDiff, VICUNA } from './fixture';

describe('LoRA merge', () => {
  let base: TensorSource;
  let delta: TensorSource;
  beforeAll(async () => {
    base = await openCheckpoint(VICUNA);
    delta = await openCheckpoint(DELTA);
  });
  afterAll(async () => {
    await base.close();
    await delta.close();
  });

  it('reads r from the shapes and defaults alpha to 32 (fixture: r=8 → scaling 4)', async () => {
    const v = validateLlama(base, delta, await readLlamaConfig(VICUNA));
    expect(v.lora).toEqual({ rank: 8, alpha: 32, scaling: 4 });
    expect(v.lora.scaling).toBe(fixtureIndex().llm.lora_scaling);
    expect(v.projInDim).toBe(64);
  });

  it('merged layer-0 q/k/v/o equal the reference merge', async () => {
    const config = await readLlamaConfig(VICUNA);
    const w = new LlamaWeights(base, delta, validateLlama(base, delta, config));
    const ref = fixtureIndex().llm.merged_layer0;
    for (const p of ATTN_PROJS) {
      const got = await w.attn(0, p);
      const want = f32(ref[`${p}_proj`]!.file);
      // fp32 products of fp16 values summed over r=8 terms: differences only from summation order.
      expect(maxAbsDiff(got, want), p).toBeLessThanOrEqual(1e-6);
      // and the merge did change the base weight (a skipped merge would fail here)
      expect(maxAbsDiff(got, await base.readF32(baseKeys.attn(0, p)))).toBeGreaterThan(1e-3);
    }
  });

  it('--lora-alpha scales the update linearly', async () => {
    const config = await readLlamaConfig(VICUNA);
    const w32 = new LlamaWeights(base, delta, validateLlama(base, delta, config));
    const w16 = new LlamaWeights(base, delta, validateLlama(base, delta, config, 16));
    expect(w16.v.lora.scaling).toBe(2);
    const b = await base.readF32(baseKeys.attn(1, 'v'));
    const m32 = await w32.attn(1, 'v');
    const m16 = await w16.attn(1, 'v');
    for (let i = 0; i < b.length; i++) expect(m16[i]! - b[i]!).toBeCloseTo((m32[i]! - b[i]!) / 2, 6);
  });

  it('mergeLora computes W + s·B@A', () => {
    // W (2,3), A (1,3), B (2,1)
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    const a = new Float32Array([1, 0, -1]);
    const b = new Float32Array([2, 3]);
    expect(Array.from(mergeLora(w, a, b, 2, 3, 1, 0.5))).toEqual([2, 2, 2, 5.5, 5, 4.5]);
  });
});
