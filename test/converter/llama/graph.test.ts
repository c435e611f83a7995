import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DECODER_IO, ioName } from '../../../converter/llama/graph/io';
import type { BundleManifest } from '../../../src/core/manifest';
import { convertFixture, DecoderRunner, f32, llmCases, maxAbsDiff } from './fixture';
import { inspectModel } from './onnx-inspect';

/** Standard opset-17 ops the decoder may use, plus com.microsoft MatMulNBits for q4. */
const ALLOWED = new Set(['MatMul', 'Add', 'Mul', 'Div', 'Sqrt', 'ReduceMean', 'Cast', 'Reshape', 'Transpose', 'Concat', 'Split', 'Neg', 'Softmax', 'Sigmoid', 'Gather', 'Shape', 'Range', 'Unsqueeze', 'LessOrEqual', 'And', 'Where', 'Cos', 'Sin', 'Identity']);

describe('decoder graph structure', () => {
  let q4: { dir: string; manifest: BundleManifest };
  beforeAll(async () => {
    q4 = await convertFixture('q4');
  });

  it('uses only standard opset-17 ops plus com.microsoft MatMulNBits (no GQA/MHA)', () => {
    for (const d of q4.manifest.llm.decoders) {
      const m = inspectModel(readFileSync(join(q4.dir, d.file!)));
      expect(m.opsets['']).toBe(17);
      for (const n of m.nodes) {
        if (n.domain === 'com.microsoft') expect(n.op).toBe('MatMulNBits');
        else {
          expect(n.domain).toBe('');
          expect(ALLOWED.has(n.op), n.op).toBe(true);
        }
      }
      const ops = new Set(m.nodes.map((n) => n.op));
      expect(ops.has('MatMulNBits')).toBe(d.format === 'q4');
    }
  });

  it('names nodes hierarchically and its io after the manifest', () => {
    const d = q4.manifest.llm.decoders.find((x) => x.format === 'fp32')!;
    const m = inspectModel(readFileSync(join(q4.dir, d.file!)));
    const names = m.nodes.map((n) => n.name);
    expect(names).toContain('/model/layers.0/attn/q_proj/MatMul');
    expect(names).toContain('/model/layers.1/mlp/down_proj/MatMul');
    expect(names).toContain('/model/layers.0/input_layernorm/ReduceMean');
    expect(names).toContain('/lm_head/MatMul');
    expect(names.every((n) => n.startsWith('/'))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    const io = DECODER_IO;
    expect(m.inputs).toEqual([io.inputsEmbeds, io.attentionMask, ...[0, 1].flatMap((i) => [ioName(io.pastKey, i), ioName(io.pastValue, i)])]);
    expect(m.outputs).toEqual([io.logits, ...[0, 1].flatMap((i) => [ioName(io.presentKey, i), ioName(io.presentValue, i)])]);
    expect(q4.manifest.llm.io).toEqual(DECODER_IO);
  });

  it('keeps lm_head unquantised in the q4 decoder: stored fp16 (the checkpoint’s own values), read as fp32 from a widened file', () => {
    const d = q4.manifest.llm.decoders.find((x) => x.format === 'q4')!;
    const m = inspectModel(readFileSync(join(q4.dir, d.file!)));
    expect(m.nodes.filter((n) => n.name.startsWith('/lm_head/')).map((n) => n.op)).toEqual(['MatMul']);
    expect(m.nodes.some((n) => n.op === 'Cast' && /scales|lm_head/.test(n.name))).toBe(false);
    const head = m.initializers.find((i) => i.name.includes('lm_head'))!;
    expect(head.byteLength).toBe(32001 * 64 * 4);
    expect(head.location).toBe('decoder-q4.onnx.f32.data');
    expect(d.widen).toEqual({ 'decoder-q4.onnx.f32.data': 'decoder-q4.onnx.f16.data' });
    // the fp16 file holds lm_head and the q4 scales at half their fp32 size (4 KiB-aligned)
    expect(statSync(join(q4.dir, 'decoder-q4.onnx.f16.data')).size).toBeGreaterThanOrEqual(32001 * 64 * 2);
    expect(m.nodes.filter((n) => n.op === 'MatMulNBits')).toHaveLength(2 * 7);
  });

  it('splits big weights into several initializers and data files within the limits, same logits', async () => {
    const limit = 1 << 20; // 1 MiB per initializer: lm_head (32001×64 fp32 = 8.2 MB) needs 8 chunks
    const fileLimit = 3 << 20;
    const small = await convertFixture('fp32', { maxInitializerBytes: limit, maxDataFileBytes: fileLimit });
    const ref = await convertFixture('fp32');
    const d = small.manifest.llm.decoders[0]!;
    if (d.groups) throw new Error('expected one graph');
    const m = inspectModel(readFileSync(join(small.dir, d.file)));
    expect(Math.max(...m.initializers.map((i) => i.byteLength))).toBeLessThanOrEqual(limit);
    const head = m.nodes.filter((n) => n.name.startsWith('/lm_head/'));
    expect(head.filter((n) => n.op === 'MatMul').length).toBe(Math.ceil((32001 * 64 * 4) / limit));
    expect(head.some((n) => n.op === 'Concat')).toBe(true);
    expect(d.externalData.length).toBeGreaterThan(1);
    for (const f of d.externalData) expect(statSync(join(small.dir, f)).size).toBeLessThanOrEqual(fileLimit);
    expect(new Set(m.initializers.flatMap((i) => (i.location ? [i.location] : [])))).toEqual(new Set(d.externalData));

    const a = await DecoderRunner.open(small.dir, small.manifest, 'fp32');
    const b = await DecoderRunner.open(ref.dir, ref.manifest, 'fp32');
    const c = llmCases()[0]!;
    const e = f32(c.inputs_embeds.file);
    a.reset();
    b.reset();
    expect(maxAbsDiff(await a.feed(e), await b.feed(e))).toBeLessThanOrEqual(1e-5);
  });

  it('keeps each present tensor at (1, heads, P+S, headDim) and masks padding', async () => {
    const r = await DecoderRunner.open(q4.dir, q4.manifest, 'fp32');
    const c = llmCases()[0]!;
    const e = f32(c.inputs_embeds.file);
    // Left-pad the prompt with 3 masked-out rows: what they hold must not reach the logits.
    const H = 64;
    const junk = new Float32Array(3 * H).map((_, i) => Math.sin(i) * 5);
    const zeros = new Float32Array(3 * H);
    const withPad = (pad: Float32Array) => {
      const x = new Float32Array(pad.length + e.length);
      x.set(pad);
      x.set(e, pad.length);
      return x;
    };
    const mask = [0, 0, 0, ...new Array<number>(c.seq_len).fill(1)];
    const l1 = await r.feedMasked(withPad(junk), mask);
    const l2 = await r.feedMasked(withPad(zeros), mask);
    expect(maxAbsDiff(l1, l2)).toBeLessThanOrEqual(1e-5);
    // unmasked, the junk does change the logits (so the check above can fail)
    expect(maxAbsDiff(await r.feedMasked(withPad(junk), mask.map(() => 1)), l2)).toBeGreaterThan(1e-3);
    const dims = r.lastPresentDims();
    expect(dims).toEqual([1, 4, c.seq_len + 3, 16]);
  });
});
