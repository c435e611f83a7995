/**
 * Tiny ONNX graphs for the backend-correctness spec, each with a float64 reference computed here
 * (Node side). Built with the converter's own IR and, for the standard-op attention, with the
 * decoder's own builders (makeAttention + positions/bias/RoPE), so what is checked is what ships.
 *
 *   standard: x (1,S,H) ─ q/k/v proj ─ RoPE ─ MatMul/Softmax attention with past KV ─ o proj ─► y (1,S,H)
 *   gqa:      q (1,S,nh·hd), k/v (1,S,kvh·hd), past (1,kvh,P,hd) ─ com.microsoft.GroupQueryAttention ─► y
 *   nbits:    a (M,K) ─ com.microsoft.MatMulNBits (4-bit, block 32, fp32 or fp16) ─► y (M,N)
 */
import { makeAttention } from '../../converter/llama/graph/attention';
import { makeAttentionBias } from '../../converter/llama/graph/mask';
import { makePositions } from '../../converter/llama/graph/positions';
import { invFreq, makeRope } from '../../converter/llama/graph/rope';
import type { BuildCtx } from '../../converter/llama/graph/types';
import { Graph } from '../../converter/onnx/graph';
import { f16BitsToF32, toF16 } from '../../converter/quant/fp16';
import { Q4_BLOCK, quantizeQ4 } from '../../converter/quant/q4';
import { Q8_BLOCK, quantizeQ8 } from '../../converter/quant/q8';
import type { LlmConfig } from '../../src/core/manifest';

/** One input or output as it crosses page.evaluate (JSON): fp16 travels as its uint16 bits. */
export interface PlainTensor {
  type: 'float32' | 'float16' | 'int32' | 'int64';
  dims: number[];
  data: number[];
}

export type Feeds = Record<string, PlainTensor>;

/** Deterministic values in [-amp, amp) (a small LCG; no Math.random so runs are reproducible). */
export function seeded(n: number, seed: number, amp = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * amp;
  }
  return out;
}

export const f32T = (data: Float32Array, dims: number[]): PlainTensor => ({ type: 'float32', dims, data: Array.from(data) });

/** Max |got − want|; NaN if any output is NaN, Infinity if the lengths differ (both fail any bound). */
export function maxAbsErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (Number.isNaN(d)) return NaN;
    m = Math.max(m, d);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Attention shapes: 4 heads of 16 (H = 64); the prompt crosses the 32-token line the spec reports.
export const NH = 4;
export const HD = 16;
export const H = NH * HD;
export const PROMPT = 40;

/**
 * Causal attention in float64 for one batch: q (S, nh, hd), k/v (T, kvh, hd) with T = P + S, query
 * s at position P + s attends to keys 0..P+s. Query head h reads kv head ⌊h / (nh / kvh)⌋.
 */
function attendF64(q: Float64Array, k: Float64Array, v: Float64Array, S: number, T: number, nh: number, kvh: number, hd: number): Float64Array {
  const P = T - S;
  const out = new Float64Array(S * nh * hd);
  const scale = 1 / Math.sqrt(hd);
  const w = new Float64Array(T);
  for (let s = 0; s < S; s++) {
    for (let h = 0; h < nh; h++) {
      const kh = Math.floor(h / (nh / kvh));
      let max = -Infinity;
      for (let t = 0; t <= P + s; t++) {
        let dot = 0;
        for (let d = 0; d < hd; d++) dot += q[(s * nh + h) * hd + d]! * k[(t * kvh + kh) * hd + d]!;
        w[t] = dot * scale;
        max = Math.max(max, w[t]!);
      }
      let sum = 0;
      for (let t = 0; t <= P + s; t++) sum += w[t] = Math.exp(w[t]! - max);
      for (let t = 0; t <= P + s; t++) {
        const p = w[t]! / sum;
        for (let d = 0; d < hd; d++) out[(s * nh + h) * hd + d] += p * v[(t * kvh + kh) * hd + d]!;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (a) GroupQueryAttention, no rotary; a prompt, then STEPS 1-token decode steps.

/** Decode steps after the prompt (a growing cache, as in generation). */
export const STEPS = 3;

type Qkv = { q: Float32Array; k: Float32Array; v: Float32Array };

export interface GqaCase {
  kvHeads: number;
  promptLen: number;
  model: Uint8Array;
  /** runs[0] is the prompt, then one run per decode step. */
  runs: Qkv[];
  want: AttnWant;
}

/** Expected outputs of each run (prompt, then steps) and the KV cache after the last run. */
export interface AttnWant {
  runs: Float64Array[]; // (S, NH·HD) each
  presentKey: Float64Array; // (1, heads, T, HD)
  presentValue: Float64Array;
}

/** (T, heads, hd) rows → (1, heads, T, hd), the cache layout. */
function toCacheLayout(x: Float64Array, T: number, heads: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < T; t++) for (let h = 0; h < heads; h++) for (let d = 0; d < HD; d++) out[(h * T + t) * HD + d] = x[(t * heads + h) * HD + d]!;
  return out;
}

export function buildGqa(kvHeads: number): Uint8Array {
  const g = new Graph('gqa');
  const q = g.input('query', 'float32', [1, 'S', NH * HD]);
  const k = g.input('key', 'float32', [1, 'S', kvHeads * HD]);
  const v = g.input('value', 'float32', [1, 'S', kvHeads * HD]);
  const pk = g.input('past_key', 'float32', [1, kvHeads, 'P', HD]);
  const pv = g.input('past_value', 'float32', [1, kvHeads, 'P', HD]);
  const seqlensK = g.input('seqlens_k', 'int32', [1]);
  const total = g.input('total_sequence_length', 'int32', []);
  g.op('GroupQueryAttention', [q, k, v, pk, pv, seqlensK, total], {
    domain: 'com.microsoft',
    outputs: ['output', 'present_key', 'present_value'],
    attrs: { num_heads: NH, kv_num_heads: kvHeads, scale: { f: 1 / Math.sqrt(HD) }, do_rotary: 0, local_window_size: -1 },
  });
  g.output('output', 'float32', [1, 'S', NH * HD]);
  g.output('present_key', 'float32', [1, kvHeads, 'T', HD]);
  g.output('present_value', 'float32', [1, kvHeads, 'T', HD]);
  return g.toModelBytes();
}

/** Run lengths: the prompt, then STEPS single tokens. */
const runLengths = (promptLen: number): number[] => [promptLen, ...new Array<number>(STEPS).fill(1)];

export function gqaCase(kvHeads: number, promptLen = PROMPT): GqaCase {
  const lens = runLengths(promptLen);
  const runs = lens.map((S, i) => ({ q: seeded(S * NH * HD, 11 + 3 * i), k: seeded(S * kvHeads * HD, 12 + 3 * i), v: seeded(S * kvHeads * HD, 13 + 3 * i) }));
  const T = lens.reduce((a, b) => a + b, 0);
  const row = kvHeads * HD;
  const kAll = new Float64Array(T * row);
  const vAll = new Float64Array(T * row);
  const wantRuns: Float64Array[] = [];
  let P = 0;
  runs.forEach((r, i) => {
    kAll.set(r.k, P * row);
    vAll.set(r.v, P * row);
    const total = P + lens[i]!;
    wantRuns.push(attendF64(Float64Array.from(r.q), kAll.subarray(0, total * row), vAll.subarray(0, total * row), lens[i]!, total, NH, kvHeads, HD));
    P = total;
  });
  return { kvHeads, promptLen, model: buildGqa(kvHeads), runs, want: { runs: wantRuns, presentKey: toCacheLayout(kAll, T, kvHeads), presentValue: toCacheLayout(vAll, T, kvHeads) } };
}

/** One feed set per run; past_key/past_value only for the first (empty): the page chains presents. */
export function gqaFeeds(c: GqaCase): Feeds[] {
  let P = 0;
  return c.runs.map((x, i) => {
    const S = x.q.length / (NH * HD);
    const f: Feeds = {
      query: f32T(x.q, [1, S, NH * HD]),
      key: f32T(x.k, [1, S, c.kvHeads * HD]),
      value: f32T(x.v, [1, S, c.kvHeads * HD]),
      // seqlens_k is total length − 1 (ORT's contrib-op definition), total_sequence_length a scalar.
      seqlens_k: { type: 'int32', dims: [1], data: [P + S - 1] },
      total_sequence_length: { type: 'int32', dims: [], data: [P + S] },
    };
    if (i === 0) {
      f.past_key = f32T(new Float32Array(0), [1, c.kvHeads, 0, HD]);
      f.past_value = f32T(new Float32Array(0), [1, c.kvHeads, 0, HD]);
    }
    P += S;
    return f;
  });
}

// ---------------------------------------------------------------------------------------------
// (b) The decoder's own attention (standard ops), one layer with RoPE and a KV cache.

const ATTN_CONFIG: LlmConfig = { hiddenSize: H, intermediateSize: 4 * H, numLayers: 1, numHeads: NH, headDim: HD, vocabSize: 1, rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 2048 };

export interface StandardCase {
  model: Uint8Array;
  /** runs[0] is the prompt (PROMPT, H), then one (1, H) row per decode step. */
  runs: Float32Array[];
  want: AttnWant;
}

const PROJ = ['q', 'k', 'v', 'o'] as const;

/** Weights scaled like a trained layer's (≈ 1/√H) so the scores are neither flat nor one-hot. */
function projWeights(): Record<(typeof PROJ)[number], Float32Array> {
  return Object.fromEntries(PROJ.map((p, i) => [p, seeded(H * H, 101 + i, 2 / Math.sqrt(H))])) as Record<(typeof PROJ)[number], Float32Array>;
}

export async function buildStandardAttention(w: Record<(typeof PROJ)[number], Float32Array>): Promise<Uint8Array> {
  const g = new Graph('standard_attention');
  const ctx: BuildCtx = { g, config: ATTN_CONFIG, format: 'fp32', act: 'float32', maxInitializerBytes: 1 << 30 };
  const x = g.input('inputs_embeds', 'float32', [1, 'S', H]);
  const mask = g.input('attention_mask', 'int64', [1, 'T']);
  const pk = g.input('past_key', 'float32', [1, NH, 'P', HD]);
  const pv = g.input('past_value', 'float32', [1, NH, 'P', HD]);
  const pos = makePositions(ctx, x, pk);
  const bias = makeAttentionBias(ctx, mask, pos);
  const rope = makeRope(ctx, pos.qPos);
  const y = await makeAttention(ctx, ['attn'], x, async (p) => w[p], 0, rope, bias, { pastKey: pk, pastValue: pv, presentKey: 'present_key', presentValue: 'present_value' });
  g.output(y, 'float32', [1, 'S', H], 'output');
  g.output('present_key', 'float32', [1, NH, 'T', HD]);
  g.output('present_value', 'float32', [1, NH, 'T', HD]);
  return g.toModelBytes();
}

/** y = x · Wᵀ for W (N, K) in HF layout, float64. */
function linearF64(x: Float64Array, w: Float32Array, rows: number, n: number, k: number): Float64Array {
  const y = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) for (let o = 0; o < n; o++) {
    let acc = 0;
    for (let j = 0; j < k; j++) acc += x[r * k + j]! * w[o * k + j]!;
    y[r * n + o] = acc;
  }
  return y;
}

/** HF rotate_half RoPE in place on (S, nh, hd) rows at positions start…start+S−1. */
function ropeF64(x: Float64Array, S: number, start: number): void {
  const inv = invFreq(HD, ATTN_CONFIG.ropeTheta);
  const half = HD / 2;
  for (let s = 0; s < S; s++) for (let h = 0; h < NH; h++) {
    const base = (s * NH + h) * HD;
    const a = x.slice(base, base + HD);
    for (let i = 0; i < HD; i++) {
      const f = (start + s) * inv[i % half]!;
      const rot = i < half ? -a[i + half]! : a[i - half]!;
      x[base + i] = a[i]! * Math.cos(f) + rot * Math.sin(f);
    }
  }
}

export async function standardCase(): Promise<StandardCase> {
  const w = projWeights();
  const lens = runLengths(PROMPT);
  const runs = lens.map((S, i) => seeded(S * H, 7 + 2 * i));
  const T = lens.reduce((a, b) => a + b, 0);
  const x = new Float64Array(T * H);
  let P = 0;
  for (const r of runs) {
    x.set(r, P * H);
    P += r.length / H;
  }
  const q = linearF64(x, w.q, T, H, H);
  const k = linearF64(x, w.k, T, H, H);
  const v = linearF64(x, w.v, T, H, H);
  ropeF64(q, T, 0);
  ropeF64(k, T, 0);
  const wantRuns: Float64Array[] = [];
  P = 0;
  for (const S of lens) {
    const total = P + S;
    const attn = attendF64(q.subarray(P * H, total * H), k.subarray(0, total * H), v.subarray(0, total * H), S, total, NH, NH, HD);
    wantRuns.push(linearF64(attn, w.o, S, H, H));
    P = total;
  }
  return { model: await buildStandardAttention(w), runs, want: { runs: wantRuns, presentKey: toCacheLayout(k, T, NH), presentValue: toCacheLayout(v, T, NH) } };
}

/** One feed set per run, as the decoder is fed; the page chains present → past. */
export function standardFeeds(c: StandardCase): Feeds[] {
  let P = 0;
  return c.runs.map((x, i) => {
    const S = x.length / H;
    P += S;
    const f: Feeds = { inputs_embeds: f32T(x, [1, S, H]), attention_mask: { type: 'int64', dims: [1, P], data: new Array<number>(P).fill(1) } };
    if (i === 0) {
      f.past_key = f32T(new Float32Array(0), [1, NH, 0, HD]);
      f.past_value = f32T(new Float32Array(0), [1, NH, 0, HD]);
    }
    return f;
  });
}

// ---------------------------------------------------------------------------------------------
// (c) MatMulNBits, block 32: 4-bit (zero point 8) in fp32 (what our q4 decoder uses) and fp16;
// 8-bit (zero point 128) in fp32 (the q4 decoder's lm_head).

export const NB_M = 8;
export const NB_K = 128;
export const NB_N = 64;

export interface NbitsCase {
  dtype: 'float32' | 'float16';
  model: Uint8Array;
  feeds: Feeds;
  want: Float64Array; // (M, N)
}

export function nbitsCase(dtype: 'float32' | 'float16', bits: 4 | 8 = 4): NbitsCase {
  const w = seeded(NB_N * NB_K, 31, 0.5);
  const a = seeded(NB_M * NB_K, 37);
  const q4 = bits === 4 ? quantizeQ4(w, NB_N, NB_K) : undefined;
  const q8 = bits === 8 ? quantizeQ8(w, NB_N, NB_K) : undefined;
  const blocks = Math.ceil(NB_K / Q4_BLOCK);
  const rawScales = q4?.scales ?? q8!.scales;
  const g = new Graph(`matmulnbits${bits}_${dtype}`);
  const x = g.input('a', dtype, [NB_M, NB_K]);
  const b = q4 ? g.initializer('b', 'uint8', [NB_N, blocks, Q4_BLOCK / 2], q4.packed) : g.initializer('b', 'uint8', [NB_N, blocks, Q8_BLOCK], q8!.codes);
  const scaleBits = toF16(rawScales);
  const s = g.initializer('scales', dtype, [NB_N * blocks], dtype === 'float16' ? scaleBits : rawScales);
  const y = g.op1('MatMulNBits', [x, b, s], { domain: 'com.microsoft', attrs: { K: NB_K, N: NB_N, bits, block_size: Q4_BLOCK } });
  g.output(y, dtype, [NB_M, NB_N], 'y');
  // The reference sees exactly what the kernel sees: fp16-rounded inputs and scales for fp16.
  const aBits = toF16(a);
  const aIn = dtype === 'float16' ? Float64Array.from(aBits, f16BitsToF32) : Float64Array.from(a);
  const scales = dtype === 'float16' ? Float64Array.from(scaleBits, f16BitsToF32) : Float64Array.from(rawScales);
  const want = new Float64Array(NB_M * NB_N);
  for (let n = 0; n < NB_N; n++) for (let kk = 0; kk < NB_K; kk++) {
    const blk = kk / Q4_BLOCK | 0;
    let wv: number;
    if (q4) {
      const byte = q4.packed[(n * blocks + blk) * (Q4_BLOCK / 2) + ((kk % Q4_BLOCK) >> 1)]!;
      const code = kk % 2 === 0 ? byte & 0x0f : byte >> 4;
      wv = (code - 8) * scales[n * blocks + blk]!;
    } else {
      wv = (q8!.codes[(n * blocks + blk) * Q8_BLOCK + (kk % Q8_BLOCK)]! - 128) * scales[n * blocks + blk]!;
    }
    for (let m = 0; m < NB_M; m++) want[m * NB_N + n] += aIn[m * NB_K + kk]! * wv;
  }
  const feeds: Feeds = { a: dtype === 'float16' ? { type: 'float16', dims: [NB_M, NB_K], data: Array.from(aBits) } : f32T(a, [NB_M, NB_K]) };
  return { dtype, model: g.toModelBytes(), feeds, want };
}

// ---------------------------------------------------------------------------------------------
// (d) The decoder's RoPE tables (makeRope: precomputed fp32 cos/sin tables, Gather by position).

export interface RopeCase {
  model: Uint8Array;
  feeds: Feeds;
  /** (positions, headDim) each; angles rounded to float32 like the graph's Mul, then cos/sin in float64. */
  cos: Float64Array;
  sin: Float64Array;
}

export function ropeCase(positions: number[], headDim = HD): RopeCase {
  const n = positions.length;
  const g = new Graph('rope_tables');
  const config = { ...ATTN_CONFIG, headDim };
  const ctx: BuildCtx = { g, config, format: 'fp32', act: 'float32', maxInitializerBytes: 1 << 30 };
  const pos = g.input('positions', 'int64', ['S']);
  const rope = makeRope(ctx, pos);
  g.output(rope.cos, 'float32', ['S', headDim], 'cos');
  g.output(rope.sin, 'float32', ['S', headDim], 'sin');
  const inv = invFreq(headDim, config.ropeTheta);
  const cos = new Float64Array(n * headDim);
  const sin = new Float64Array(n * headDim);
  for (let p = 0; p < n; p++) for (let i = 0; i < headDim; i++) {
    const angle = Math.fround(positions[p]! * inv[i % (headDim / 2)]!);
    cos[p * headDim + i] = Math.cos(angle);
    sin[p * headDim + i] = Math.sin(angle);
  }
  return { model: g.toModelBytes(), feeds: { positions: { type: 'int64', dims: [n], data: positions } }, cos, sin };
}
