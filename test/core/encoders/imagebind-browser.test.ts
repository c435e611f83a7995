/**
 * The converted graphs in headless Chromium on onnxruntime-web's default build: the JSEP WebGPU EP
 * (SwiftShader here) and the wasm EP must load every encoder (op coverage differs per EP:
 * com.microsoft MatMulNBits, LayerNormalization-17, GatherElements, DequantizeLinear) and agree
 * with onnxruntime-node. Default-format variants of every encoder, plus q4 and fp32 of depth.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertImageBind } from '../../../converter/imagebind/convert';
import { repeatTime } from '../../../src/core/encoders/imagebind-engine';
import { DEFAULT_FORMAT } from '../../../converter/imagebind/formats';
import type { ImageBindSection } from '../../../src/core/manifest';
import { readNpy } from '../../helpers/npy';
import { CHECKPOINT, CONFIG, FIXTURE, MEDIA, cosine, inputRows, maxAbsDiff } from '../../converter/imagebind/fixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let dir: string;
let section: ImageBindSection;
let server: Server;
let browser: Browser;
let page: Page;
let base: string;
const inputs = new Map<string, { dims: number[]; dtype: 'float32' | 'int64'; data: Float32Array | BigInt64Array }>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imagebind-browser-'));
  ({ section } = await convertImageBind({ checkpoint: CHECKPOINT, config: CONFIG, outDir: dir, quant: 'all' }));
  mkdirSync(join(dir, 'in'));
  for (const item of MEDIA) {
    if (inputs.has(item.kind)) continue;
    const x = inputRows(item);
    // Images run on the video graph with their frame repeated (the part's repeatTime).
    const T = section.encoders[item.kind]?.input.repeatTime;
    const d = x.dims;
    inputs.set(item.kind, T ? { dims: [d[0]!, d[1]!, T, d[2]!, d[3]!], dtype: 'float32', data: repeatTime(x.data, d[0]! * d[1]!, T, d[2]! * d[3]!) } : { dims: x.dims, dtype: 'float32', data: x.data });
  }
  const ids = readNpy(join(FIXTURE, 'reference/text/tokens.npy'));
  inputs.set('text', { dims: ids.shape, dtype: 'int64', data: ids.data as BigInt64Array });
  for (const [kind, x] of inputs) writeFileSync(join(dir, 'in', `${kind}.bin`), new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));

  const types: Record<string, string> = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
  server = createServer((req, res) => {
    const u = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const path = u === '/' ? join(import.meta.dirname, 'browser/ort-page.html') : u.startsWith('/ort/') ? join('node_modules/onnxruntime-web/dist', u.slice(5)) : u.startsWith('/b/') ? join(dir, u.slice(3)) : '';
    try {
      const body = readFileSync(path);
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--enable-unsafe-webgpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  page = await browser.newPage();
  await page.goto(base);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

async function reference(kind: string, file: string): Promise<Float32Array> {
  const part = section.encoders[kind as keyof ImageBindSection['encoders']]!;
  const x = inputs.get(kind)!;
  // Optimisation off: the CPU EP would otherwise rewrite q8 into an int8 dynamic-quantised matmul.
  const s = await ortNode.InferenceSession.create(join(dir, file), { graphOptimizationLevel: 'disabled' });
  const out = await s.run({ [part.input.name]: new ortNode.Tensor(x.dtype, x.data, x.dims) });
  await s.release();
  return out.head!.data as Float32Array;
}

// Non-default formats on the small depth encoder: SwiftShader shader compiles dominate the run time.
const cases: [string, string][] = [...Object.entries(DEFAULT_FORMAT), ['depth', 'q4'], ['depth', 'fp32']];

describe('ImageBind graphs in Chromium (onnxruntime-web: JSEP WebGPU and wasm)', () => {
  for (const [kind, format] of cases) {
    it(`${kind} ${format}: webgpu and wasm agree with onnxruntime-node`, async () => {
      const part = section.encoders[kind as keyof ImageBindSection['encoders']]!;
      const v = part.variants.find((x) => x.format === format)!;
      const want = await reference(kind, v.file);
      const x = inputs.get(kind)!;
      for (const ep of ['webgpu', 'wasm']) {
        const got = Float32Array.from(
          await page.evaluate(
            (a) => (window as unknown as { runCase: (...args: unknown[]) => Promise<number[]> }).runCase(...a),
            [v.file, v.externalData, part.input.name, x.dtype, x.dims, `in/${kind}.bin`, ep] as unknown[],
          ),
        );
        expect(cosine(got, want), `${ep}`).toBeGreaterThanOrEqual(0.99999);
        expect(maxAbsDiff(got, want), `${ep}`).toBeLessThanOrEqual(1e-4);
      }
    });
  }
});
