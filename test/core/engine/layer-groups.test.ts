/**
 * A decoder cut into layer groups (one graph, one session each; what 7B/13B bundles ship so the page
 * never holds a whole decoder's bytes) computes what the one-graph decoder computes: the converter's
 * grouping plan, the graphs' boundaries, the manifest's checks, and the engine (the worker's and the
 * CLI's code) giving the same logits and the reference greedy tokens, across turns with KV reuse.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeOrt, openBundle, type NodeBundle } from '../../../cli/node-runtime';
import { convertPandaGpt } from '../../../converter/bundle/convert';
import { planLayerGroups } from '../../../converter/bundle/plan';
import { DECODER_IO, ioName } from '../../../converter/llama/graph/io';
import { LlmEngine } from '../../../src/core/engine/llm-engine';
import type { SamplingParams } from '../../../src/core/engine/types';
import { decoderFiles, decoderGroups, type LlmConfig, parseManifest, type WeightFormat } from '../../../src/core/manifest';
import { caseHistory, caseMedia, FIXTURE, referenceIndex } from '../../../e2e/support/reference-cases';
import { inspectModel } from '../../converter/llama/onnx-inspect';

const greedy: SamplingParams = { maxNewTokens: 12, temperature: 1, topP: 1, topK: 50, greedy: true };

const vicuna = (layers: number, hidden: number, intermediate: number): LlmConfig => ({ hiddenSize: hidden, intermediateSize: intermediate, numLayers: layers, numHeads: hidden / 128, headDim: 128, vocabSize: 32001, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 2048 });

describe('planLayerGroups', () => {
  it('keeps small decoders in one graph and cuts 7B and 13B into groups of about 0.6 GB', () => {
    const tiny: LlmConfig = { ...vicuna(2, 128, 344), numHeads: 4, headDim: 32 };
    expect(planLayerGroups(tiny, 'fp32', 'fp32')).toEqual([[0, 2]]);
    const v7 = planLayerGroups(vicuna(32, 4096, 11008), 'q4', 'fp16');
    expect(v7).toHaveLength(7);
    expect(v7[0]).toEqual([0, 5]);
    expect(v7.at(-1)).toEqual([30, 32]);
    const v13 = planLayerGroups(vicuna(40, 5120, 13824), 'q4', 'fp16');
    expect(v13).toHaveLength(14);
    expect(v13[0]).toEqual([0, 3]);
    // Explicit: 0 = one graph; N = N layers each, the last group shorter.
    expect(planLayerGroups(vicuna(32, 4096, 11008), 'q4', 'fp16', 0)).toEqual([[0, 32]]);
    expect(planLayerGroups(tiny, 'fp32', 'fp32', 1)).toEqual([[0, 1], [1, 2]]);
    expect(() => planLayerGroups(tiny, 'fp32', 'fp32', 1.5)).toThrow(/whole number/);
  });
});

describe('a decoder in layer groups (tiny fixture, onnxruntime-node)', () => {
  let whole: NodeBundle;
  let grouped: NodeBundle;
  const convert = async (layersPerGroup?: number): Promise<NodeBundle> => {
    const out = join(mkdtempSync(join(tmpdir(), 'groups-')), 'bundle');
    await convertPandaGpt({ vicunaDir: join(FIXTURE, 'vicuna'), deltaPath: join(FIXTURE, 'pandagpt/pytorch_model.pt'), outDir: out, quant: 'q4', layersPerGroup });
    return openBundle(out);
  };
  beforeAll(async () => {
    [whole, grouped] = [await convert(), await convert(1)];
  }, 300_000);

  it('writes one graph per group with hidden states at the boundaries and the head only in the last', () => {
    for (const d of grouped.manifest.llm.decoders) {
      expect(d.groups?.map((g) => g.layers)).toEqual([[0, 1], [1, 2]]);
      expect(d.maxTensorBytes).toBe(Math.max(...d.groups!.map((g) => g.maxTensorBytes!)));
      const [g0, g1] = d.groups!.map((g) => inspectModel(readFileSync(join(grouped.dir, g.file))));
      const io = DECODER_IO;
      expect(g0!.inputs).toEqual([io.inputsEmbeds, io.attentionMask, ioName(io.pastKey, 0), ioName(io.pastValue, 0)]);
      expect(g0!.outputs).toEqual([io.hiddenStates, ioName(io.presentKey, 0), ioName(io.presentValue, 0)]);
      expect(g1!.inputs).toEqual([io.inputsEmbeds, io.attentionMask, ioName(io.pastKey, 1), ioName(io.pastValue, 1)]);
      expect(g1!.outputs).toEqual([io.logits, ioName(io.presentKey, 1), ioName(io.presentValue, 1)]);
      expect(g0!.nodes.some((n) => n.name.startsWith('/lm_head/'))).toBe(false);
      expect(g1!.nodes.some((n) => n.name.startsWith('/lm_head/'))).toBe(true);
      expect(g1!.nodes.some((n) => n.name.startsWith('/model/layers.0/'))).toBe(false);
      // The groups hold the same weights as the one graph; only each group's RoPE cos/sin tables
      // (2 × maxPositions × headDim floats: 2 MB for 7B) come again.
      const bytes = (b: NodeBundle, files: string[]): number => files.reduce((s, f) => s + b.manifest.files[f]!.size, 0);
      const one = whole.manifest.llm.decoders.find((x) => x.format === d.format)!;
      const { maxPositions, headDim } = grouped.manifest.llm.config;
      const extra = bytes(grouped, decoderFiles(d)) - bytes(whole, decoderFiles(one));
      expect(extra).toBeGreaterThan(0);
      expect(extra).toBeGreaterThanOrEqual(2 * maxPositions * headDim * 4);
      expect(extra).toBeLessThanOrEqual(2 * maxPositions * headDim * 4 + 4096);
    }
  });

  for (const format of ['fp32', 'q4'] as WeightFormat[]) {
    it(`${format}: gives the one graph's logits and the reference greedy tokens, across turns`, async () => {
      const load = (b: NodeBundle) => LlmEngine.load({ ort: nodeOrt, manifest: b.manifest, readFile: b.readFile, loadPart: b.loadPart, backend: 'cpu', variant: format });
      const [a, b] = [await load(whole), await load(grouped)];
      const cases = (referenceIndex().llm.cases as unknown as { id: string; media: string[]; input: string; greedy: { ids: number[] } }[]).filter((c) => c.media.length > 0);
      for (const c of cases) {
        a.resetCache();
        b.resetCache();
        const req = { prompt: c.input, history: caseHistory(c as never), media: caseMedia(c as never), params: greedy };
        let la: Float32Array | undefined;
        let lb: Float32Array | undefined;
        const ra = await a.generate(req, { onPrefillLogits: (l) => (la = l) });
        const rb = await b.generate(req, { onPrefillLogits: (l) => (lb = l) });
        expect(lb!.reduce((m, x, i) => Math.max(m, Math.abs(x - la![i]!)), 0), c.id).toBeLessThanOrEqual(1e-5);
        expect(rb.tokens, c.id).toEqual(ra.tokens);
        if (format === 'fp32') expect(rb.tokens, c.id).toEqual(c.greedy.ids);
      }
      // A second turn reuses the cache of every group, then an edited turn truncates it.
      const media = caseMedia(cases[0] as never);
      const t1 = await b.generate({ prompt: 'What is in the picture?', media, params: greedy });
      const history = [{ user: 'What is in the picture?', assistant: t1.text }];
      const t2 = await b.generate({ prompt: 'What color is it?', history, media, params: greedy });
      expect(t2.timings.reusedTokens).toBeGreaterThan(t1.timings.promptTokens - 1);
      const t3 = await b.generate({ prompt: 'What color is it?', history: [{ user: 'Describe it.', assistant: t1.text }], media, params: greedy });
      a.resetCache();
      await a.generate({ prompt: 'What is in the picture?', media, params: greedy });
      expect((await a.generate({ prompt: 'What color is it?', history, media, params: greedy })).tokens).toEqual(t2.tokens);
      expect((await a.generate({ prompt: 'What color is it?', history: [{ user: 'Describe it.', assistant: t1.text }], media, params: greedy })).tokens).toEqual(t3.tokens);
      await Promise.all([a.dispose(), b.dispose()]);
    }, 120_000);
  }

  it('creates the groups one after the other, each with only its own files read', async () => {
    const d = grouped.manifest.llm.decoders.find((x) => x.format === 'q4')!;
    const events: string[] = [];
    const e = await LlmEngine.load({
      ort: nodeOrt,
      manifest: grouped.manifest,
      readFile: grouped.readFile,
      backend: 'cpu',
      variant: 'q4',
      loadPart: async (part, options) => {
        events.push(`start ${part.file}`);
        const s = await grouped.loadPart(part, options);
        events.push(`end ${part.file}`);
        return s;
      },
    });
    const files = decoderGroups(d, 2).map((g) => g.file);
    expect(events).toEqual(files.flatMap((f) => [`start ${f}`, `end ${f}`]));
    await e.dispose();
  });

  it('is refused by the manifest check when its groups skip, overlap or stop short of the last layer', () => {
    const text = JSON.stringify(grouped.manifest);
    expect(() => parseManifest(text)).not.toThrow();
    const broken = (edit: (groups: { layers: number[] }[]) => void): string => {
      const m = JSON.parse(text);
      for (const d of m.llm.decoders) edit(d.groups);
      return JSON.stringify(m);
    };
    expect(() => parseManifest(broken((g) => (g[1]!.layers = [2, 2])))).toThrow(/cover layers 0 to 2 in order/);
    expect(() => parseManifest(broken((g) => (g[0]!.layers = [0, 2])))).toThrow(/cover layers 0 to 2 in order/);
    expect(() => parseManifest(broken((g) => g.pop()))).toThrow(/end at layer 1, the model has 2/);
    const noHidden = JSON.parse(text);
    delete noHidden.llm.io.hiddenStates;
    expect(() => parseManifest(JSON.stringify(noHidden))).toThrow(/hiddenStates/);
  });
});
