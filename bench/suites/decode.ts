/**
 * Decode speed of the synthetic LLaMA bundles (issue 2): onnxruntime-node (CPU EP) vs the
 * browser's wasm EP, 1 and 2 threads, in every decoder format the bundle carries, all in one run so
 * the browser/node ratios compare like with like; plus the engine's time per token outside
 * session.run. Greedy, text-only prompt, 16 new tokens, after a 2-token warm-up on the same engine.
 */
import { LlmEngine } from '../../src/core/engine/llm-engine';
import type { GenerateTimings } from '../../src/core/engine/types';
import type { WeightFormat } from '../../src/core/manifest';
import { nodeOrt, nodeSessionOptions, openBundle } from '../../cli/node-runtime';
import type { DecodeOut, DecodeRun } from '../browser/harness';
import { timedGenerate } from '../browser/timed-generate';
import { ensureBundle, llamaShapes } from '../lib/llama-models';
import type { BenchContext, BenchRow, BenchSuite } from '../types';

const NEW_TOKENS = 16;
/** Decoding stops after this long (at least 3 tokens): 4-bit on wasm runs ~1 token per 10 s at 1B here. */
const BUDGET_MS = 20_000;
const THREADS = [1, 2];

interface Measured {
  loadMs: number;
  timings: GenerateTimings;
  tokens: number[];
}

async function nodeRun(dir: string, variant: WeightFormat, threads: number): Promise<Measured> {
  const b = openBundle(dir);
  const t0 = performance.now();
  const engine = await LlmEngine.load({ ort: nodeOrt, manifest: b.manifest, readFile: b.readFile, loadPart: b.loadPart, backend: 'cpu', variant, sessionOptions: nodeSessionOptions('cpu', threads) as never });
  const loadMs = performance.now() - t0;
  try {
    const r = await timedGenerate(engine, NEW_TOKENS, BUDGET_MS);
    return { loadMs, timings: r.timings, tokens: r.tokens };
  } finally {
    await engine.dispose();
  }
}

async function browserRun(ctx: BenchContext, bundleUrl: string, backend: 'wasm' | 'webgpu', variant: WeightFormat, threads: number): Promise<DecodeOut> {
  const b = await ctx.browser();
  const page = await b.open();
  try {
    const run: DecodeRun = { bundleUrl, backend, threads, variant, maxNewTokens: NEW_TOKENS, budgetMs: BUDGET_MS };
    const out = await page.evaluate((r) => window.benchDecode(r), run);
    if (backend === 'wasm' && out.threads !== threads) throw new Error(`wasm ran ${out.threads} threads, asked ${threads} (crossOriginIsolated=${out.crossOriginIsolated})`);
    return out;
  } finally {
    await page.close();
  }
}

function rowsOf(c: string, m: Measured, notes: string): BenchRow[] {
  const t = m.timings;
  const row = (metric: string, value: number, unit: string, n?: string): BenchRow => ({ suite: 'decode', case: c, metric, value, unit, ...(n ? { notes: n } : {}) });
  return [
    row('decode', t.tokensPerSecond, 'tokens/s', `${t.generatedTokens} tokens${t.generatedTokens < NEW_TOKENS ? ` (${BUDGET_MS / 1000} s budget)` : ''} after a ${t.promptTokens}-token prefill; ${notes}`),
    row('prefill', t.prefillMs, 'ms', `${t.promptTokens} prompt tokens`),
    row('engine overhead', t.overheadMsPerToken, 'ms/token', 'time per token outside session.run'),
    row('load', m.loadMs, 'ms', 'session + tokenizer + embeddings'),
  ];
}

const suite: BenchSuite = {
  name: 'decode',
  async run(ctx) {
    const rows: BenchRow[] = [];
    for (const shape of llamaShapes(ctx)) {
      const dir = await ensureBundle(ctx, shape);
      const formats = openBundle(dir).manifest.llm.decoders.map((d) => d.format);
      const url = `${(await ctx.browser()).workUrl}${shape.name}/bundle/`;
      for (const format of formats) {
        for (const threads of THREADS) {
          const label = (where: string): string => `${shape.name} ${format} ${where} ${threads}t`;
          ctx.log(`${label('node cpu')}`);
          const n = await nodeRun(dir, format, threads);
          rows.push(...rowsOf(label('node cpu'), n, `onnxruntime-node CPU EP, intraOpNumThreads ${threads}`));
          ctx.log(`${label('browser wasm')}`);
          let w: DecodeOut;
          try {
            w = await browserRun(ctx, url, 'wasm', format, threads);
          } catch (e) {
            // One failed configuration must not lose the rest of the run.
            rows.push({ suite: 'decode', case: label('browser wasm'), metric: 'error', value: NaN, unit: '', notes: (e instanceof Error ? e.message : String(e)).split('\n')[0] });
            continue;
          }
          const k = Math.min(w.tokens.length, n.tokens.length);
          const same = w.tokens.slice(0, k).every((id, i) => id === n.tokens[i]);
          rows.push(...rowsOf(label('browser wasm'), w, `onnxruntime-web wasm EP, numThreads ${w.threads}; first ${k} greedy tokens ${same ? 'equal' : 'DIFFER from'} node's`));
          rows.push({ suite: 'decode', case: `${shape.name} ${format} ${threads}t`, metric: 'browser/node decode', value: w.timings.tokensPerSecond / n.timings.tokensPerSecond, unit: 'ratio', notes: 'wasm tokens/s ÷ node tokens/s, same run' });
        }
      }
    }
    return rows;
  },
};

export default suite;
