/**
 * The app's engine (the code the worker and the CLI run) on the converted tiny fixture, with
 * onnxruntime-node: reference greedy tokens from the media embeddings, KV reuse across turns equal
 * to a full recompute, stop rules, streaming, cancellation, seeded sampling.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeOrt, openBundle, type NodeBundle } from '../../../cli/node-runtime';
import { convertPandaGpt } from '../../../converter/bundle/convert';
import { LlmEngine } from '../../../src/core/engine/llm-engine';
import type { GenerateRequest, SamplingParams } from '../../../src/core/engine/types';
import type { BundleManifest, WeightFormat } from '../../../src/core/manifest';
import { caseHistory, caseMedia, FIXTURE, referenceIndex } from '../../../e2e/support/reference-cases';

const greedy: SamplingParams = { maxNewTokens: 12, temperature: 1, topP: 1, topK: 50, greedy: true };
let bundle: NodeBundle;

async function engine(variant: WeightFormat = 'fp32', manifest?: BundleManifest): Promise<LlmEngine> {
  return LlmEngine.load({ ort: nodeOrt, manifest: manifest ?? bundle.manifest, readFile: bundle.readFile, loadPart: bundle.loadPart, backend: 'cpu', variant });
}

const cases = () =>
  (referenceIndex().llm.cases as unknown as { id: string; media: string[]; input: string; greedy: { ids: number[] } }[]).filter((c) => c.media.length > 0);

function request(c: ReturnType<typeof cases>[number], params = greedy): GenerateRequest {
  return { prompt: c.input, history: caseHistory(c as never), media: caseMedia(c as never), params };
}

beforeAll(async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'engine-')), 'bundle');
  await convertPandaGpt({ vicunaDir: join(FIXTURE, 'vicuna'), deltaPath: join(FIXTURE, 'pandagpt/pytorch_model.pt'), outDir: out, quant: 'q4' });
  bundle = openBundle(out);
});

describe('LlmEngine on the tiny fixture (onnxruntime-node)', () => {
  it('picks the decoder variant the bundle recommends for each backend', async () => {
    const cpu = await LlmEngine.load({ ort: nodeOrt, manifest: bundle.manifest, readFile: bundle.readFile, loadPart: bundle.loadPart, backend: 'cpu' });
    expect(cpu.variant.format).toBe('q4');
    await cpu.dispose();
    const wasm = bundle.manifest.llm.decoders.find((d) => d.backends.includes('wasm'));
    expect(wasm?.format).toBe('fp32');
  });

  it('reproduces the reference greedy tokens for every media case from the ImageBind vectors', async () => {
    const e = await engine('fp32');
    for (const c of cases()) {
      e.resetCache();
      const r = await e.generate(request(c));
      expect(r.tokens, c.id).toEqual(c.greedy.ids);
      expect(r.stopReason).toBe('length');
    }
    await e.dispose();
  });

  it('reuses the KV cache across turns and gets the same tokens as a full recompute', async () => {
    const e = await engine('fp32');
    const media = caseMedia(cases()[0] as never);
    const t1 = await e.generate({ prompt: 'What is in the picture?', media, params: greedy });
    const history = [{ user: 'What is in the picture?', assistant: t1.text }];
    const t2 = await e.generate({ prompt: 'What color is it?', history, media, params: greedy });
    expect(t2.timings.reusedTokens).toBeGreaterThan(t1.timings.promptTokens - 1);
    const fresh = await engine('fp32');
    const full = await fresh.generate({ prompt: 'What color is it?', history, media, params: greedy });
    expect(full.timings.reusedTokens).toBe(0);
    expect(t2.tokens).toEqual(full.tokens);

    // An edited earlier turn diverges inside the cache: the prefix is truncated, still exact.
    const edited = [{ user: 'What is in this photo?', assistant: t1.text }];
    const t3 = await e.generate({ prompt: 'What color is it?', history: edited, media, params: greedy });
    expect(t3.timings.reusedTokens).toBeGreaterThan(7);
    expect(t3.timings.reusedTokens).toBeLessThan(t2.timings.promptTokens);
    fresh.resetCache();
    expect(t3.tokens).toEqual((await fresh.generate({ prompt: 'What color is it?', history: edited, media, params: greedy })).tokens);

    // Other media: only BOS + "### Human: <Img>" survive.
    const other = caseMedia(cases().find((c) => c.id === 'audio_dog') as never);
    const t4 = await e.generate({ prompt: 'What color is it?', history: edited, media: other, params: greedy });
    expect(t4.timings.reusedTokens).toBe(7);
    await e.dispose();
    await fresh.dispose();
  });

  it('stops on a stop token, strips it from the text, and streams exactly the shown text', async () => {
    const c = cases()[0]!;
    const stopId = c.greedy.ids[4]!;
    const m = structuredClone(bundle.manifest);
    m.llm.stop = { ...m.llm.stop, stopTokenIds: [stopId] };
    const e = await engine('fp32', m);
    let streamed = '';
    const r = await e.generate(request(c), { onToken: (ev) => (streamed += ev.delta) });
    expect(r.stopReason).toBe('stop-token');
    expect(r.tokens).toEqual(c.greedy.ids.slice(0, 5));
    expect(r.text).toBe(e.tokenizer.decode(c.greedy.ids.slice(0, 4)));
    expect(streamed).toBe(e.tokenizer.decodeRaw(c.greedy.ids.slice(0, 4)));
    await e.dispose();
  });

  it('stops cooperatively when aborted and keeps the partial answer', async () => {
    const e = await engine('fp32');
    const ac = new AbortController();
    let n = 0;
    const r = await e.generate(request(cases()[0]!, { ...greedy, maxNewTokens: 50 }), {
      signal: ac.signal,
      onToken: () => {
        if (++n === 3) ac.abort();
      },
    });
    expect(r.stopReason).toBe('aborted');
    expect(r.tokens.length).toBe(3);
    await e.dispose();
  });

  it('samples reproducibly with a seed (temperature, top-k, top-p)', async () => {
    const e = await engine('fp32');
    const params: SamplingParams = { maxNewTokens: 10, temperature: 1, topP: 0.95, topK: 50, seed: 1234 };
    const c = cases()[0]!;
    const a = await e.generate(request(c, params));
    const b = await e.generate(request(c, params));
    const d = await e.generate(request(c, { ...params, seed: 99 }));
    expect(b.tokens).toEqual(a.tokens);
    expect(d.tokens).not.toEqual(a.tokens);
    await e.dispose();
  });

  it('chats without media, and explains what is wrong with a bad media vector or an overlong prompt', async () => {
    const e = await engine('q4');
    const r = await e.generate({ prompt: 'Hello!', params: { ...greedy, maxNewTokens: 4 } });
    expect(r.tokens.length).toBe(4);
    expect(r.timings.promptTokens).toBe(1 + e.tokenizer.encode('### Human: Hello!\n### Assistant:').length);
    await expect(e.generate({ prompt: 'x', media: [{ modality: 'image', vector: new Float32Array(3) }], params: greedy })).rejects.toMatchObject({ code: 'MEDIA_BAD_SHAPE' });
    await expect(e.generate({ prompt: 'word '.repeat(3000), params: greedy })).rejects.toMatchObject({ code: 'CONTEXT_TOO_LONG' });
    // A long history is dropped from the oldest turn until the prompt fits.
    const history = Array.from({ length: 40 }, (_, i) => ({ user: `question ${i} ${'blah '.repeat(20)}`, assistant: 'answer' }));
    const fit = await e.generate({ prompt: 'last', history, params: { ...greedy, maxNewTokens: 2 } });
    expect(fit.timings.promptTokens).toBeLessThan(2048);
    await e.dispose();
  });
});
