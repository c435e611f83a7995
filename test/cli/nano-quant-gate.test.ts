import { beforeAll, describe, expect, it } from 'vitest';
import { compareNanoFormats, type FormatReport } from '../../cli/eval-nano';

/**
 * The quality gate for the formats real models ship in (issue 10), on a model with real margins:
 * PandaGPT-nano converted with `--quant q4` as a 7B/13B bundle is by default (q4 decoder with fp16
 * scales and fp16-stored lm_head, q8 token embeddings, q8 ImageBind encoders) against the fp32
 * built-in bundle, greedy, on 12 held-out items per modality (230 questions), onnxruntime-node.
 *
 * Measured (also with the former fp32 scales and fp32 lm_head, and with f16 token embeddings: the
 * same 205/230): first token equal on 227/230, mean KL 6.6e-4 (6.5e-4 with f16 embeddings), max
 * 0.047; accuracy 73.5 % vs fp32's 70.4 %; whole answers identical on 89 % — below the 97 % target.
 * The q4 decoder alone (fp32 encoders) gives 90 %: 4-bit weights on a 128-wide model. `--lm-head q4`
 * (not the default): 91.7 % identical, first token 227/230, mean KL 7.8e-4, accuracy 72.2 %.
 * Data-free variants of the q4 decoder tried on the same 230 questions (fp32 encoders; the shipped
 * symmetric q4 with its scale search: 206, 89.6 %): blocks of 16 instead of 32 → 92.6 %; asymmetric
 * (a 4-bit zero point per block, +0.1 GB at 7B) → 92.6 %; asymmetric with a search of the range → 91.3 %.
 * Rounding choices made on the weights alone stay within ~90–93 %: 97 % would need the activations
 * (calibration, e.g. GPTQ/AWQ), which the converter does not run.
 * Pinned below as expected-to-fail until a format meets it.
 *
 * Re-measured on the retrained PandaGPT-nano (issue 13: wild inputs, sharper answers): first token equal
 * on 227/230, mean KL 6.1e-4 (max 0.022), accuracy 89.1 % = fp32's 89.1 %, whole answers identical on
 * 221/230 (96.1 %, two answers short of 97 %). (An intermediate retrain had a mean KL of 2.16e-3: the bar
 * below depends on how peaked the model's first-token distribution is, and is kept, not raised.)
 */
let r: FormatReport;

beforeAll(async () => {
  r = await compareNanoFormats({ limit: 12 });
  const pc = (k: number): string => `${((100 * k) / r.questions).toFixed(1)} %`;
  console.log(`[nano-quant-gate] ${r.format}: ${r.questions} questions, identical ${pc(r.identical)}, first-token top-1 ${pc(r.top1)}, mean KL ${r.meanKl.toExponential(2)}, max KL ${r.maxKl.toExponential(2)}, right ${pc(r.right.format)} vs fp32 ${pc(r.right.fp32)}`);
}, 600_000);

describe('shipped quantised formats on PandaGPT-nano vs fp32', () => {
  it('keep the first token (≥ 98 %), the distribution (mean KL ≤ 2e-3) and the accuracy (at most 1 point lower)', () => {
    expect(r.questions).toBeGreaterThanOrEqual(200);
    expect(r.top1 / r.questions).toBeGreaterThanOrEqual(0.98);
    expect(r.meanKl).toBeLessThanOrEqual(2e-3);
    expect((r.right.format - r.right.fp32) / r.questions).toBeGreaterThanOrEqual(-0.01);
  });

  it.fails('give fp32’s whole greedy answer on ≥ 97 % of questions (KNOWN SHORTFALL: 96.1 % measured, 221/230; 4-bit weights on a 128-wide model)', () => {
    expect(r.identical / r.questions).toBeGreaterThanOrEqual(0.97);
  });
});
