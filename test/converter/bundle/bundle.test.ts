import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_NOTICE, buildBuiltin } from '../../../cli/build-builtin';
import { bundleNeeds } from '../../../src/app/workers/backend';
import { openCheckpoint } from '../../../converter/checkpoint';
import { f16BitsToF32 } from '../../../converter/quant/fp16';
import { type BundleManifest, downloadedFiles, HASH_CHUNK_BYTES, PANDAGPT_GENERATION, PANDAGPT_PROMPT, PANDAGPT_STOP, parseManifest, referencedFiles } from '../../../src/core/manifest';
import { convertFixture, DELTA, VICUNA } from '../llama/fixture';

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Exact equality without vitest's slow deep diff on 2M-element arrays. */
function sameArray(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function rawF32(dir: string, ref: { file: string; dtype: string }): Float32Array {
  const b = readFileSync(join(dir, ref.file));
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return ref.dtype === 'float32' ? new Float32Array(ab) : Float32Array.from(new Uint16Array(ab), f16BitsToF32);
}

describe('bundle contents', () => {
  let q4: { dir: string; manifest: BundleManifest };
  beforeAll(async () => {
    q4 = await convertFixture('q4');
  });

  it('writes a manifest that parses, lists every file with its size and sha256, and nothing else', () => {
    const m = parseManifest(readFileSync(join(q4.dir, 'manifest.json'), 'utf8'));
    const onDisk = readdirSync(q4.dir).filter((f) => f !== 'manifest.json').sort();
    expect(Object.keys(m.files).sort()).toEqual(onDisk);
    for (const [f, info] of Object.entries(m.files)) {
      expect(info.size, f).toBe(statSync(join(q4.dir, f)).size);
      expect(info.sha256, f).toBe(sha256(join(q4.dir, f)));
      // Piece hashes for the page's per-chunk check (every fixture file fits one piece).
      const bytes = readFileSync(join(q4.dir, f));
      expect(info.chunks, f).toEqual({ size: HASH_CHUNK_BYTES, sha256: bytes.length ? [createHash('sha256').update(bytes).digest('hex')] : [] });
    }
    expect(new Set(referencedFiles(m))).toEqual(new Set(onDisk));
  });

  it('carries the config, PandaGPT prompt/stop/generation constants, tokenizer ids and LoRA numbers', () => {
    const l = q4.manifest.llm;
    expect(l.config).toEqual({ hiddenSize: 64, intermediateSize: 172, numLayers: 2, numHeads: 4, headDim: 16, vocabSize: 32001, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 2048 });
    expect(l.prompt).toEqual(PANDAGPT_PROMPT);
    expect(l.stop).toEqual(PANDAGPT_STOP);
    expect(l.generation).toEqual(PANDAGPT_GENERATION);
    expect(l.lora).toEqual({ rank: 8, alpha: 32, scaling: 4 });
    expect(l.tokenizer).toMatchObject({ file: 'tokenizer.json', bosId: 1, eosId: 2, unkId: 0 });
    expect(JSON.parse(readFileSync(join(q4.dir, l.tokenizer.file), 'utf8'))).toHaveProperty('model');
  });

  it('stores embed_tokens (fp16 for q4: lossless, the checkpoint is fp16) and llama_proj (fp32) exactly', async () => {
    const base = await openCheckpoint(VICUNA);
    const delta = await openCheckpoint(DELTA);
    try {
      const l = q4.manifest.llm;
      expect(l.embedTokens).toEqual({ file: 'embed_tokens.f16.bin', dtype: 'float16', shape: [32001, 64] });
      expect(sameArray(rawF32(q4.dir, l.embedTokens), await base.readF32('model.embed_tokens.weight'))).toBe(true);
      expect(l.llamaProj.weight).toEqual({ file: 'llama_proj.weight.f32.bin', dtype: 'float32', shape: [64, 64] });
      expect(sameArray(rawF32(q4.dir, l.llamaProj.weight), await delta.readF32('llama_proj.weight'))).toBe(true);
      expect(sameArray(rawF32(q4.dir, l.llamaProj.bias), await delta.readF32('llama_proj.bias'))).toBe(true);
      const fp32 = await convertFixture('fp32');
      expect(fp32.manifest.llm.embedTokens.dtype).toBe('float32');
      expect(sameArray(rawF32(fp32.dir, fp32.manifest.llm.embedTokens), await base.readF32('model.embed_tokens.weight'))).toBe(true);
    } finally {
      await base.close();
      await delta.close();
    }
  });
});

describe('build:model (built-in PandaGPT-nano bundle)', () => {
  it('builds PandaGPT-nano with its notice within the size budget, then skips the work while inputs are unchanged', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'builtin-')), 'builtin');
    const log: string[] = [];
    expect(await buildBuiltin({ out, log: (m) => log.push(m) })).toBe('built');
    const m = parseManifest(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.notice).toBe(BUILTIN_NOTICE);
    expect(m.name).toContain('PandaGPT-nano');
    expect(m.llm.decoders.map((d) => [d.format, d.backends])).toEqual([['fp32', ['wasm', 'cpu', 'webgpu']]]);
    expect(m.llm.embedTokens.dtype).toBe('float16');
    expect(Object.keys(m.imagebind?.encoders ?? {}).sort()).toEqual(['audio', 'depth', 'image', 'imu', 'text', 'thermal', 'video']);
    // zero-shot tags use the labels of its world (colour × shape), not a generic everyday list
    expect(m.imagebind?.labels).toEqual(JSON.parse(readFileSync('training/labels.json', 'utf8')));
    expect(m.imagebind?.labels).toContain('a red circle');
    // the budget for a model that ships in public/: about 30 MB
    const bytes = Object.values(m.files).reduce((s, f) => s + f.size, 0);
    expect(bytes).toBeLessThanOrEqual(30e6);
    // It ships its labels' embeddings, so the page does not download the text encoder (Node keeps it).
    const text = m.imagebind!.encoders.text!.variants.flatMap((v) => [v.file, ...v.externalData]);
    expect(Object.entries(m.files).filter(([, f]) => f.optional).map(([p]) => p).sort()).toEqual([...text, m.imagebind!.textBpe!].sort());
    expect(downloadedFiles(m).some(([p]) => p.includes('text'))).toBe(false);
    // every part says its largest weight (checked against a GPU's buffer limits before download)
    const parts = [...m.llm.decoders, ...Object.values(m.imagebind!.encoders).flatMap((e) => e!.variants)];
    for (const p of parts) expect(p.maxTensorBytes, p.file).toBeGreaterThan(0);
    const needs = bundleNeeds(m);
    // one graph per layer (the path real 7B/13B bundles take), all counted
    // (the last one's lm_head stored fp16, widened by the loader)
    const groupFiles = ['decoder-fp32.g0.onnx', 'decoder-fp32.g0.onnx.data', 'decoder-fp32.g1.onnx', 'decoder-fp32.g1.onnx.data', 'decoder-fp32.g1.onnx.f16.data'];
    expect(m.llm.decoders[0]!.groups?.map((g) => g.layers)).toEqual([[0, 1], [1, 2]]);
    expect(needs.wasmDecoderBytes).toBe(groupFiles.reduce((s, f) => s + m.files[f]!.size, 0));
    expect(needs.gpuMaxTensorBytes).toBeGreaterThan(0);
    // its largest GPU buffer: lm_head as float32 (stored fp16, widened on load)
    expect(needs.gpuMaxTensorBytes).toBe(m.llm.config.vocabSize * m.llm.config.hiddenSize * 4);
    // the media encoders the wasm backend would load: every non-text graph once (image = video's)
    const encoderFiles = new Set(Object.values(m.imagebind!.encoders).filter((e) => e!.modality !== 'text').flatMap((e) => [e!.variants[0]!.file, ...e!.variants[0]!.externalData]));
    expect(needs.wasmEncoderBytes).toBe([...encoderFiles].reduce((s, f) => s + m.files[f]!.size, 0));
    expect(await buildBuiltin({ out, log: (x) => log.push(x) })).toBe('up-to-date');
    // a bundle file gone → rebuilt
    rmSync(join(out, 'decoder-fp32.g1.onnx'));
    expect(await buildBuiltin({ out, log: (x) => log.push(x) })).toBe('built');
  });
});

describe('zero-shot labels a conversion ships', () => {
  const IB = 'test/fixtures/pandagpt-tiny/imagebind';
  const ibConfig = join(IB, 'config.json');

  it('without --labels: the generic list, its embeddings shipped, the text encoder left out of the page download', async () => {
    const { manifest: m } = await convertFixture('fp32', { imagebind: join(IB, 'imagebind.pth'), imagebindConfig: ibConfig });
    expect(m.imagebind!.labels).toEqual(JSON.parse(readFileSync('src/core/zero-shot-labels.json', 'utf8')));
    expect(m.imagebind!.labelEmbeddings?.shape).toEqual([m.imagebind!.labels!.length, m.imagebind!.outDim]);
    expect(downloadedFiles(m).some(([p]) => p.includes('text'))).toBe(false);
  });

  it('without the CLIP vocabulary beside the checkpoint: no label embeddings, and the conversion still succeeds', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'ib-alone-'));
    const pth = join(alone, 'imagebind.pth');
    copyFileSync(join(IB, 'imagebind.pth'), pth);
    try {
      const { manifest: m } = await convertFixture('fp32', { imagebind: pth, imagebindConfig: ibConfig });
      expect(m.imagebind!.labelEmbeddings).toBeUndefined();
      expect(m.imagebind!.textBpe).toBeUndefined();
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
  });
});
