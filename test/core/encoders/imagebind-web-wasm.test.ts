/**
 * The same bundle on onnxruntime-web's wasm EP (the browser's CPU path, run here in Node): every
 * encoder in every weight format must load (op coverage: LayerNormalization-17, Erf, GatherElements,
 * DequantizeLinear, com.microsoft MatMulNBits) and agree with onnxruntime-node.
 *
 * q8 agrees less tightly by design: onnxruntime-node's optimiser rewrites DequantizeLinear → MatMul
 * into a dynamically quantised int8 matmul (activations quantised too: cos vs fp32 0.99993 on
 * image_dog, vs 0.99997 with optimisation disabled), the wasm build runs the plain graph (0.99997).
 */
const AGREE: Record<string, number> = { fp32: 0.99999, q8: 0.9999, q4: 0.99999 };
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImageBind } from '../../../converter/imagebind/convert';
import { ImageBindEngine } from '../../../src/core/encoders/imagebind-engine';
import type { BundleManifest, ImageBindSection } from '../../../src/core/manifest';
import type { OrtModule } from '../../../src/core/ort';
import { CHECKPOINT, CONFIG, MEDIA, cosine, inputRows, maxAbsDiff } from '../../converter/imagebind/fixture';

let dir: string;
let section: ImageBindSection;
const engines: ImageBindEngine[] = [];

async function engineFor(ort: OrtModule, backend: 'cpu' | 'wasm', format: string): Promise<ImageBindEngine> {
  const e = await ImageBindEngine.load({ ort, manifest: { imagebind: section } as unknown as BundleManifest, readFile: (p) => readFile(join(dir, p)), backend, format, sessionOptions: backend === 'wasm' ? { executionProviders: ['wasm'] } : {} });
  engines.push(e);
  return e;
}

beforeAll(async () => {
  ortWeb.env.wasm.numThreads = 1;
  dir = mkdtempSync(join(tmpdir(), 'imagebind-web-'));
  ({ section } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: dir, quant: 'all' }));
});

afterAll(async () => {
  for (const e of engines) await e.dispose();
});

describe('ImageBind encoders on onnxruntime-web (wasm EP)', () => {
  for (const format of ['fp32', 'q8', 'q4']) {
    it(`${format}: every media encoder and text agree with onnxruntime-node`, async () => {
      const web = await engineFor(ortWeb as unknown as OrtModule, 'wasm', format);
      const node = await engineFor(ortNode as unknown as OrtModule, 'cpu', format);
      const seen = new Set<string>();
      for (const item of MEDIA) {
        if (seen.has(item.kind)) continue;
        seen.add(item.kind);
        const x = inputRows(item);
        const input = { modality: item.kind, data: x.data, dims: x.dims };
        const [a, b] = [await web.embed(input), await node.embed(input)];
        expect(cosine(a, b), `${format} ${item.kind}`).toBeGreaterThanOrEqual(AGREE[format]!);
        if (format !== 'q8') expect(maxAbsDiff(a, b), `${format} ${item.kind}`).toBeLessThanOrEqual(item.kind === 'thermal' ? 1e-4 : 2e-5);
      }
      const labels = ['A dog.', 'a person walking'];
      const [ta, tb] = [await web.embedText(labels), await node.embedText(labels)];
      ta.forEach((t, i) => expect(cosine(t, tb[i]!)).toBeGreaterThanOrEqual(AGREE[format]!));
    });
  }
});
