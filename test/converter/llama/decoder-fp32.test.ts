import { beforeAll, describe, expect, it } from 'vitest';
import { convertFixture, DecoderRunner, f32, i32, llmCases, maxAbsDiff } from './fixture';

/**
 * The fp32 decoder against the reference LLaMA (HF 4.29 semantics, fp32) for every fixture case:
 * prefill logits, greedy ids with the KV cache, and greedy ids by full recompute.
 */
describe('fp32 decoder vs reference', () => {
  let runner: DecoderRunner;
  beforeAll(async () => {
    const { dir, manifest } = await convertFixture('fp32');
    runner = await DecoderRunner.open(dir, manifest, 'fp32');
  });

  const cases = llmCases();
  it('covers every reference case', () => {
    expect(cases.map((c) => c.id)).toEqual(['image_dog', 'audio_dog', 'image_audio_dog', 'video_world', 'thermal_190662', 'two_turn_dog', 'empty_prompt_dog', 'bare_text']);
  });

  for (const c of cases) {
    describe(c.id, () => {
      it('prefill logits (last position) within 1e-3', async () => {
        const embeds = f32(c.inputs_embeds.file);
        expect(embeds.length).toBe(c.seq_len * runner.hidden);
        runner.reset();
        const logits = await runner.feed(embeds);
        expect(logits.length).toBe(32001);
        expect(maxAbsDiff(logits, f32(c.prefill_logits.file))).toBeLessThanOrEqual(1e-3);
      });

      it('greedy ids with the KV cache, and every step logit-close to the reference top-50', async () => {
        const steps = c.greedy.ids.length;
        const { ids, logits } = await runner.greedy(f32(c.inputs_embeds.file), steps);
        expect(ids).toEqual(c.greedy.ids);
        const topIds = i32(c.step_topk_ids.file);
        const topLogits = f32(c.step_topk_logits.file);
        const k = topLogits.length / steps;
        for (let s = 0; s < steps; s++) {
          for (let j = 0; j < k; j++) expect(Math.abs(logits[s]![topIds[s * k + j]!]! - topLogits[s * k + j]!)).toBeLessThanOrEqual(1e-3);
        }
      });

      it('greedy ids by full recompute (no cache)', async () => {
        expect(await runner.greedyRecompute(f32(c.inputs_embeds.file), c.greedy.ids.length)).toEqual(c.greedy.ids);
      });
    });
  }
});

