/**
 * `--embed-tokens q8`: token embeddings as int8 rows with one float32 scale each (half the bytes of
 * fp16). Each looked-up row is within half a quantisation step of the checkpoint's fp16 values.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBundle } from '../../../cli/node-runtime';
import { convertPandaGpt, embeddingDtype } from '../../../converter/bundle/convert';
import { planDecoders } from '../../../converter/bundle/plan';
import { EmbeddingTable } from '../../../src/core/engine/embeddings';
import { FIXTURE } from '../../../e2e/support/reference-cases';

describe('q8 token embeddings', () => {
  it('store int8 rows and row scales, and look rows up within half a step of the checkpoint', async () => {
    const convert = async (embedTokens?: 'q8') => {
      const out = join(mkdtempSync(join(tmpdir(), 'embq8-')), 'bundle');
      await convertPandaGpt({ vicunaDir: join(FIXTURE, 'vicuna'), deltaPath: join(FIXTURE, 'pandagpt/pytorch_model.pt'), outDir: out, quant: 'fp32', embedTokens });
      return openBundle(out);
    };
    const [q8, plain] = [await convert('q8'), await convert()];
    const ref = q8.manifest.llm.embedTokens;
    expect(ref).toMatchObject({ file: 'embed_tokens.q8.bin', dtype: 'int8', rowScales: { file: 'embed_tokens.q8.scales.f32.bin', dtype: 'float32', shape: [ref.shape[0]] } });
    const [V, H] = ref.shape as [number, number];
    expect(statSync(join(q8.dir, ref.file)).size).toBe(V * H);
    expect(statSync(join(plain.dir, plain.manifest.llm.embedTokens.file)).size).toBe(V * H * 4); // an fp32 bundle's table
    const a = await EmbeddingTable.load(ref, q8.readFile);
    const b = await EmbeddingTable.load(plain.manifest.llm.embedTokens, plain.readFile);
    const ra = new Float32Array(H);
    const rb = new Float32Array(H);
    for (const id of [0, 1, 2, 13171, V - 1]) {
      a.row(id, ra);
      b.row(id, rb);
      const max = rb.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const err = ra.reduce((m, x, j) => Math.max(m, Math.abs(x - rb[j]!)), 0);
      expect(err, `row ${id}`).toBeLessThanOrEqual((max / 127) * 0.5 + 1e-7);
    }
  });

  it('are the default where every decoder is q4 (7B/13B --quant q4); bundles with an exact decoder keep exact rows', () => {
    const vicuna7b = { hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, headDim: 128, vocabSize: 32001, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 2048 };
    const tiny = { ...vicuna7b, hiddenSize: 64, intermediateSize: 172, numLayers: 2, numHeads: 4, headDim: 16 };
    expect(planDecoders('q4', vicuna7b).map((p) => p.format)).toEqual(['q4']);
    expect(embeddingDtype('auto', 'q4', planDecoders('q4', vicuna7b))).toBe('int8');
    expect(embeddingDtype('auto', 'q4', planDecoders('q4', tiny))).toBe('float16'); // carries an fp32 decoder for wasm
    expect(embeddingDtype('auto', 'fp16', planDecoders('fp16', vicuna7b))).toBe('float16');
    expect(embeddingDtype('auto', 'fp32', planDecoders('fp32', tiny))).toBe('float32');
    expect(embeddingDtype('f16', 'q4', planDecoders('q4', vicuna7b))).toBe('float16');
    expect(embeddingDtype('q8', 'fp32', planDecoders('fp32', tiny))).toBe('int8');
  });
});
