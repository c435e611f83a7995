/**
 * Fidelity of the quantised encoders vs fp32 on the fixture media, through the real engine
 * (postprocessed vectors, what PandaGPT projects). Prints the table the format choice in
 * converter/imagebind/formats.ts is based on, and asserts the bounds that choice relies on.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImageBind } from '../../../converter/imagebind/convert';
import { DEFAULT_FORMAT } from '../../../converter/imagebind/formats';
import { ImageBindEngine } from '../../../src/core/encoders/imagebind-engine';
import type { BundleManifest, ImageBindSection } from '../../../src/core/manifest';
import type { OrtModule } from '../../../src/core/ort';
import { CHECKPOINT, CONFIG, FIXTURE, MEDIA, cosine, inputRows } from './fixture';

/** q4 must reach this on every item to be an encoder's default (see formats.ts for why). */
const Q4_DEFAULT_BAR = 0.995;
/**
 * Asserted bounds = the measured minimum (printed by afterAll) less a margin for kernel
 * differences. q4 text is worst: the fixture's text width is 16, so one 4-bit block (32, zero-padded)
 * spans a whole weight row and a single scale covers it.
 */
const Q8_BOUND = 0.9995;
const Q4_BOUND = 0.985;
const Q4_TEXT_BOUND = 0.945;

let dir: string;
let section: ImageBindSection;
const engines: Record<string, ImageBindEngine> = {};
const cos: Record<string, Record<string, number[]>> = { q8: {}, q4: {} };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagebind-quant-'));
  ({ section } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: dir, quant: 'all' }));
  for (const format of ['fp32', 'q8', 'q4']) {
    engines[format] = await ImageBindEngine.load({
      ort: ort as unknown as OrtModule,
      manifest: { imagebind: section } as unknown as BundleManifest,
      readFile: (p) => readFile(join(dir, p)),
      backend: 'cpu',
      format,
    });
  }
});

afterAll(async () => {
  for (const e of Object.values(engines)) await e.dispose();
  const rows = Object.keys(section?.encoders ?? {}).map((k) => `${k.padEnd(8)} q8 min ${Math.min(...(cos.q8![k] ?? [NaN])).toFixed(6)}  q4 min ${Math.min(...(cos.q4![k] ?? [NaN])).toFixed(6)}`);
  console.log(`ImageBind quantised vs fp32 (cos of postprocessed vectors):\n${rows.join('\n')}`);
});

function record(format: string, kind: string, c: number): void {
  (cos[format]![kind] ??= []).push(c);
}

describe('quantised ImageBind encoders vs fp32', () => {
  for (const item of MEDIA) {
    it(`${item.id}: q8 cos ≥ ${Q8_BOUND}, q4 cos ≥ ${Q4_BOUND}`, async () => {
      const x = inputRows(item);
      const input = { modality: item.kind, data: x.data, dims: x.dims };
      const ref = await engines.fp32!.embed(input);
      for (const format of ['q8', 'q4'] as const) {
        const c = cosine(await engines[format]!.embed(input), ref);
        record(format, item.kind, c);
        expect(c).toBeGreaterThanOrEqual(format === 'q8' ? Q8_BOUND : Q4_BOUND);
      }
    });
  }

  it(`text: q8 cos ≥ ${Q8_BOUND}, q4 cos ≥ ${Q4_TEXT_BOUND}`, async () => {
    const texts = JSON.parse(readFileSync(join(FIXTURE, 'reference/index.json'), 'utf8')).text_encoder.items.map((i: { text: string }) => i.text) as string[];
    const ref = await engines.fp32!.embedText(texts);
    for (const format of ['q8', 'q4'] as const) {
      const got = await engines[format]!.embedText(texts);
      got.forEach((g, i) => {
        const c = cosine(g, ref[i]!);
        record(format, 'text', c);
        expect(c).toBeGreaterThanOrEqual(format === 'q8' ? Q8_BOUND : Q4_TEXT_BOUND);
      });
    }
  });

  it('the per-encoder default format follows the measurements (q4 only where it clears the bar)', () => {
    for (const [kind, format] of Object.entries(DEFAULT_FORMAT)) {
      const q4Min = Math.min(...cos.q4![kind]!);
      expect(format, `${kind}: q4 min cos ${q4Min}`).toBe(q4Min >= Q4_DEFAULT_BAR ? 'q4' : 'q8');
    }
  });

  it('the manifest lists every format with its backends; the engine picks q8 for WebGPU by default', () => {
    const image = section.encoders.image!;
    expect(image.variants.map((v) => [v.format, v.backends])).toEqual([
      ['fp32', ['cpu', 'wasm', 'webgpu']],
      ['q8', ['webgpu', 'wasm', 'cpu']],
      ['q4', ['webgpu', 'cpu']],
    ]);
  });
});
