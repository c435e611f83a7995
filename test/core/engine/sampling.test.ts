import { describe, expect, it } from 'vitest';
import { argmax, createRng, sampleToken, topK, warp } from '../../../src/core/engine/sampling';

const params = { maxNewTokens: 1, temperature: 1, topP: 1, topK: 50 };

describe('sampling (transformers 4.29 semantics)', () => {
  it('argmax and topK agree with a sort', () => {
    const rng = createRng(7);
    const logits = Float32Array.from({ length: 1000 }, () => rng() * 10 - 5);
    const sorted = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]!);
    expect(argmax(logits)).toBe(sorted[0]);
    expect(topK(logits, 50)).toEqual(sorted.slice(0, 50));
  });

  it('top-p keeps the smallest head whose tail mass exceeds 1 - top_p, at least one token', () => {
    // probs 0.5, 0.3, 0.15, 0.05
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    // top_p 0.75: ascending cumsum 0.05, 0.20, 0.50 → tokens with cumsum <= 0.25 removed: 0.05 and 0.15.
    expect(warp(logits, { temperature: 1, topK: 0, topP: 0.75 }).ids).toEqual([0, 1]);
    // PandaGPT's demo top_p = 0.01 keeps only the top token here.
    expect(warp(logits, { temperature: 1, topK: 0, topP: 0.01 }).ids).toEqual([0]);
    expect(warp(logits, { temperature: 1, topK: 0, topP: 1 }).ids).toEqual([0, 1, 2, 3]);
  });

  it('temperature sharpens or flattens before top-k', () => {
    const logits = [2, 1, 0];
    const cold = warp(logits, { temperature: 0.5, topK: 0, topP: 1 }).probs;
    const hot = warp(logits, { temperature: 2, topK: 0, topP: 1 }).probs;
    expect(cold[0]).toBeGreaterThan(hot[0]!);
    const z = Math.exp(4) + Math.exp(2) + 1;
    expect(cold[0]).toBeCloseTo(Math.exp(4) / z, 6);
  });

  it('the seeded sampler is reproducible and follows the distribution', () => {
    const logits = [Math.log(0.6), Math.log(0.3), Math.log(0.1)];
    const draw = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 20000 }, () => sampleToken(logits, params, rng));
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    const freq = [0, 1, 2].map((t) => a.filter((x) => x === t).length / a.length);
    expect(freq[0]).toBeCloseTo(0.6, 1);
    expect(freq[1]).toBeCloseTo(0.3, 1);
    expect(freq[2]).toBeCloseTo(0.1, 1);
  });

  it('greedy ignores the warpers', () => {
    const logits = [0.1, 3, 2.9];
    expect(sampleToken(logits, { ...params, greedy: true, temperature: 100 }, createRng(1))).toBe(1);
  });
});
