/**
 * Which weight formats the converter writes per encoder, and where each runs.
 *
 * Default (`auto`) = q8 for every encoder. Measured on the pandagpt-tiny fixture media
 * (min cos of the postprocessed vector vs the fp32 graph, onnxruntime-node CPU; printed by
 * test/converter/imagebind/quantized.test.ts, which also fails if this table stops following them):
 *            image     video     audio     thermal   depth     imu       text
 *   q8       0.99993   0.99995   0.99993   0.99987   0.99992   0.99995   0.99971
 *   q4       0.9932    0.9934    0.9876    0.9911    0.9893    0.9899    0.9518
 * q4 (MatMulNBits, block 32) is below our 0.995 bar everywhere, so no encoder defaults to it. The bar: PandaGPT feeds the vector straight into llama_proj, and a cos of 0.99
 *   already moves zero-shot/LLM outputs visibly; q8 costs 1 byte/param (ViT-H vision ≈ 0.63 GB).
 */
import type { Backend } from '../../src/core/ort';
import type { LinearFormat } from './quantize';
import type { EncoderKind } from './encoders';
import { PandaError } from '../../src/core/errors';

export const DEFAULT_FORMAT: Record<EncoderKind, LinearFormat> = {
  image: 'q8', video: 'q8', audio: 'q8', thermal: 'q8', depth: 'q8', imu: 'q8', text: 'q8',
};

/**
 * q8 is DequantizeLinear + MatMul: standard ops on every EP. q4 is com.microsoft MatMulNBits: the
 * wasm CPU EP and the JSEP WebGPU EP implement it (node_modules/onnxruntime-web/docs/webgpu-operators.md),
 * but the wasm kernel is slow (web-runtime.md), so it is listed for WebGPU first.
 */
export const FORMAT_BACKENDS: Record<LinearFormat, Backend[]> = {
  fp32: ['cpu', 'wasm', 'webgpu'],
  q8: ['webgpu', 'wasm', 'cpu'],
  q4: ['webgpu', 'cpu'],
};

/**
 * The bundle-wide `quant` option (the LLM converter passes its own format through):
 *   fp32                      → fp32 encoders (exact; for tests)
 *   auto | q4 | q8 | fp16     → the measured per-encoder default above (an LLM format says "a quantised
 *                               bundle", not which encoder format; there is no fp16 encoder variant)
 *   all                       → fp32 + q8 + q4 variants (the engine picks per backend)
 *   imagebind-{fp32,q8,q4}    → exactly that encoder format (comma-separate several)
 *   <encoder>=<format>        → for that encoder only, instead of the rest (e.g. `fp32,text=q8`:
 *                               exact media encoders, a smaller text encoder)
 */
export function formatsFor(kind: EncoderKind, quant: string | undefined): LinearFormat[] {
  const all = (quant ?? 'auto').split(',').map((s) => s.trim()).filter(Boolean);
  const scoped = all.filter((it) => it.includes('='));
  for (const it of scoped) {
    const [k, f] = it.split('=');
    if (!(k! in DEFAULT_FORMAT) || !f) throw new PandaError('CONVERT_FAILED', `"${it}": use <encoder>=<format> with an encoder of ${Object.keys(DEFAULT_FORMAT).join(', ')}.`);
  }
  const mine = scoped.filter((it) => it.startsWith(`${kind}=`)).map((it) => it.slice(kind.length + 1)).map((f) => (['fp32', 'q8', 'q4'].includes(f) ? `imagebind-${f}` : f));
  const items = mine.length ? mine : all.filter((it) => !it.includes('='));
  const out: LinearFormat[] = [];
  const add = (f: LinearFormat) => {
    if (!out.includes(f)) out.push(f);
  };
  for (const it of items) {
    if (it === 'fp32') add('fp32');
    else if (it === 'auto' || it === 'q4' || it === 'q8' || it === 'fp16') add(DEFAULT_FORMAT[kind]);
    else if (it === 'all') (['fp32', 'q8', 'q4'] as const).forEach(add);
    else if (it === 'imagebind-fp32' || it === 'imagebind-q8' || it === 'imagebind-q4') add(it.slice('imagebind-'.length) as LinearFormat);
    else throw new PandaError('CONVERT_FAILED', `Unknown ImageBind weight format "${it}": use fp32, auto, all or imagebind-{fp32,q8,q4} (comma-separated for several variants).`);
  }
  if (out.length === 0) throw new PandaError('CONVERT_FAILED', 'No ImageBind weight format selected.');
  return out;
}
