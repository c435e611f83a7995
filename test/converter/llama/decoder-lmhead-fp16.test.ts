import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decoderFile } from '../../../converter/bundle/plan';
import { decoderFiles } from '../../../src/core/manifest';
import { convertFixture, DecoderRunner, f32, llmCases, maxAbsDiff } from './fixture';

/**
 * An fp32 decoder whose lm_head is stored fp16 and widened by the loader (what the built-in
 * PandaGPT-nano ships, to halve its biggest tensor). The Vicuna shards are fp16, so the widened
 * weights are the checkpoint's exactly: logits must equal the all-fp32 decoder's.
 */
describe('fp32 decoder with an fp16-stored lm_head', () => {
  it('gives the all-fp32 logits and greedy ids, in a smaller file', async () => {
    const plain = await convertFixture('fp32');
    const half = await convertFixture('fp32', { decoders: [{ format: 'fp32', fileName: decoderFile('fp32'), backends: ['wasm', 'cpu', 'webgpu'], lmHeadFormat: 'fp16' }] });
    const a = await DecoderRunner.open(plain.dir, plain.manifest, 'fp32');
    const b = await DecoderRunner.open(half.dir, half.manifest, 'fp32');
    for (const c of llmCases().slice(0, 3)) {
      const embeds = f32(c.inputs_embeds.file);
      a.reset();
      b.reset();
      const la = await a.feed(embeds);
      const lb = await b.feed(embeds);
      expect(maxAbsDiff(la, lb), c.id).toBeLessThanOrEqual(1e-6);
      expect((await b.greedy(embeds, c.greedy.ids.length)).ids, c.id).toEqual(c.greedy.ids);
    }
    // The graph reads lm_head from a widened view of an fp16 file; the bundle holds the fp16 file.
    const d = half.manifest.llm.decoders[0]!;
    expect(Object.values(d.widen ?? {})).toEqual(['decoder-fp32.onnx.f16.data']);
    expect(d.externalData).toContain('decoder-fp32.onnx.f32.data');
    expect(half.manifest.files['decoder-fp32.onnx.f32.data']).toBeUndefined();
    const bytes = (m: typeof plain): number => decoderFiles(m.manifest.llm.decoders[0]!).filter((f) => f.includes('.data')).reduce((s, f) => s + statSync(join(m.dir, f)).size, 0);
    const { vocabSize: V, hiddenSize: H } = plain.manifest.llm.config;
    // half of lm_head's fp32 bytes, give or take the 4 KiB alignment of one more data file
    expect(Math.abs(bytes(plain) - bytes(half) - V * H * 2)).toBeLessThanOrEqual(4096);
  });
});
