/**
 * Warm-up, then one measured greedy generation that stops after `maxNewTokens` or once decoding
 * has run `budgetMs` (at least 3 tokens), so a slow configuration (4-bit on the wasm EP) still
 * yields a tokens/s figure in bounded time. Pure: runs in Node and in the page.
 */
import type { LlmEngine } from '../../src/core/engine/llm-engine';
import type { GenerateRequest, GenerateResult } from '../../src/core/engine/types';

export const BENCH_PROMPT = 'Describe a panda in one sentence.';

export const benchRequest = (maxNewTokens: number): GenerateRequest => ({ prompt: BENCH_PROMPT, params: { maxNewTokens, greedy: true, temperature: 1, topP: 1, topK: 50 } });

export async function timedGenerate(engine: LlmEngine, maxNewTokens: number, budgetMs: number): Promise<GenerateResult> {
  await engine.generate(benchRequest(2));
  engine.resetCache();
  const ctl = new AbortController();
  let first = 0;
  let n = 0;
  return engine.generate(benchRequest(maxNewTokens), {
    signal: ctl.signal,
    onToken: () => {
      n++;
      if (n === 1) first = performance.now();
      else if (n >= 3 && performance.now() - first > budgetMs) ctl.abort();
    },
  });
}
