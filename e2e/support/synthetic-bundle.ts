/** Writes a small, valid bundle of random files (one of a few MB) for model-store tests. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDigest } from '../../converter/parallel/runtime';

export interface SyntheticBundle {
  dir: string;
  manifestText: string;
  files: Record<string, { size: number; sha256: string; chunks?: { size: number; sha256: string[] } }>;
}

/**
 * `bigBytes`: size of the external-data file that exercises chunking and resume.
 * `pieceBytes`: list each file's per-piece sha256 (`BundleFile.chunks`) as the converter does, at
 * this piece size; without it the manifest has only whole-file hashes (bundles of older versions).
 */
export function writeSyntheticBundle(dir: string, name: string, bigBytes = 5 * 1024 * 1024 + 12345, pieceBytes?: number): SyntheticBundle {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const contents: Record<string, Buffer> = {
    'onnx/decoder.onnx': randomBytes(200_000),
    'onnx/decoder.onnx.data': randomBytes(bigBytes),
    'embed_tokens.bin': randomBytes(700_001),
    'llama_proj.weight.bin': randomBytes(64 * 1024),
    'llama_proj.bias.bin': randomBytes(256),
    'tokenizer.json': Buffer.from(JSON.stringify({ model: { type: 'BPE', vocab: { a: 0 } }, name })),
  };
  const files: SyntheticBundle['files'] = {};
  for (const [p, b] of Object.entries(contents)) {
    writeFileSync(join(dir, p), b);
    const h = new FileDigest(pieceBytes).update(b).digest();
    files[p] = pieceBytes ? h : { size: h.size, sha256: h.sha256 };
  }
  const raw = (file: string, shape: number[]) => ({ file, dtype: 'float32', shape });
  const manifest = {
    schema: 'pandagpt-bundle',
    version: 1,
    name,
    description: 'synthetic bundle for model-store tests (random bytes)',
    notice: 'random bytes: not a model',
    createdBy: 'e2e/support/synthetic-bundle.ts',
    files,
    llm: {
      config: { hiddenSize: 64, intermediateSize: 128, numLayers: 1, numHeads: 2, headDim: 32, vocabSize: 100, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 128 },
      embedTokens: raw('embed_tokens.bin', [100, 64]),
      llamaProj: { weight: raw('llama_proj.weight.bin', [64, 256]), bias: raw('llama_proj.bias.bin', [64]) },
      decoders: [{ file: 'onnx/decoder.onnx', externalData: ['onnx/decoder.onnx.data'], format: 'fp32', backends: ['wasm'], ioDtype: 'float32' }],
      io: {
        inputsEmbeds: 'inputs_embeds',
        attentionMask: 'attention_mask',
        pastKey: 'past_key_values.{i}.key',
        pastValue: 'past_key_values.{i}.value',
        presentKey: 'present.{i}.key',
        presentValue: 'present.{i}.value',
        logits: 'logits',
      },
      tokenizer: { file: 'tokenizer.json', bosId: 1, eosId: 2, unkId: 0, padId: 0, cleanUpSpaces: true },
      prompt: { mediaPrefix: '### Human: <Img>', mediaSuffix: '</Img> ', textPrefix: '### Human: ', assistantTag: '\n### Assistant:', turnEnd: '\n###', humanTag: ' Human: ' },
      stop: { stopTokenIds: [2277], eosId: 2, stripSuffixes: ['\n##', '##'] },
      generation: { maxNewTokens: 16, temperature: 1, topP: 0.01, topK: 50 },
      lora: { rank: 4, alpha: 8, scaling: 2 },
    },
  };
  const manifestText = JSON.stringify(manifest, null, 2);
  writeFileSync(join(dir, 'manifest.json'), manifestText);
  return { dir, manifestText, files };
}
