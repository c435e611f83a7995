/**
 * Next-token selection with transformers 4.29 `sample` semantics (spec §7):
 * temperature (if ≠ 1) → top-k (default 50) → top-p (sort ascending, drop tokens whose cumulative
 * probability ≤ 1 − top_p, always keep ≥ 1) → softmax → multinomial draw. Greedy = argmax.
 */
import type { SamplingParams } from './types';

/** Seedable PRNG (mulberry32): deterministic streams for `--seed`, fast enough per token. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** Indices of the k largest logits, largest first (ties: lower index first, like torch.topk on CPU). */
export function topK(logits: ArrayLike<number>, k: number): number[] {
  const n = logits.length;
  if (k >= n) return Array.from({ length: n }, (_, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  // Partial selection with a small sorted buffer: O(n·k) worst case but k is ~50 and most
  // candidates fail the first comparison.
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (idx.length === k && v <= logits[idx[k - 1]!]!) continue;
    let pos = idx.length;
    while (pos > 0 && logits[idx[pos - 1]!]! < v) pos--;
    idx.splice(pos, 0, i);
    if (idx.length > k) idx.pop();
  }
  return idx;
}

/**
 * Candidate tokens and their probabilities after the warpers; returns ids (largest logit first)
 * and normalised probabilities.
 */
export function warp(logits: ArrayLike<number>, p: Pick<SamplingParams, 'temperature' | 'topK' | 'topP'>): { ids: number[]; probs: number[] } {
  const temperature = p.temperature > 0 ? p.temperature : 1;
  const k = p.topK > 0 ? Math.min(p.topK, logits.length) : logits.length;
  const ids = topK(logits, k);
  const scaled = ids.map((i) => logits[i]! / (temperature !== 1 ? temperature : 1));
  const max = scaled[0]!;
  const exps = scaled.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  let probs = exps.map((e) => e / sum);
  let keep = ids.length;
  if (p.topP < 1) {
    // transformers: sort ascending, cumsum, remove where cumsum <= 1 - top_p; keep at least one.
    // Equivalent on our descending list: drop the tail whose cumulative mass (from the smallest) ≤ 1 − top_p.
    let cum = 0;
    keep = ids.length;
    for (let j = ids.length - 1; j >= 1; j--) {
      cum += probs[j]!;
      if (cum <= 1 - p.topP) keep = j;
      else break;
    }
  }
  const keptIds = ids.slice(0, keep);
  const kept = probs.slice(0, keep);
  const z = kept.reduce((a, b) => a + b, 0);
  probs = kept.map((v) => v / z);
  return { ids: keptIds, probs };
}

export function sampleToken(logits: ArrayLike<number>, params: SamplingParams, rng: () => number): number {
  if (params.greedy) return argmax(logits);
  const { ids, probs } = warp(logits, params);
  const r = rng();
  let acc = 0;
  for (let j = 0; j < ids.length; j++) {
    acc += probs[j]!;
    if (r < acc) return ids[j]!;
  }
  return ids[ids.length - 1]!;
}
