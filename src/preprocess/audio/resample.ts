/**
 * torchaudio.functional.resample (0.13, sinc_interp_hann, lowpass_filter_width 6, rolloff 0.99),
 * evaluated only on requested output ranges so long files never need decoding in full. The kernel
 * is built in float32 like torchaudio does for a float32 waveform.
 */
import type { PcmSource } from './pcm';

const f = Math.fround;

export interface SincResampler {
  orig: number;
  next: number;
  width: number;
  /** Taps per phase: 2·width + orig. */
  taps: number;
  /** (next, taps) float32 kernel. */
  kernel: Float32Array;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function makeResampler(origFreq: number, newFreq: number, lowpassFilterWidth = 6, rolloff = 0.99): SincResampler {
  const g = gcd(origFreq, newFreq);
  const orig = origFreq / g;
  const next = newFreq / g;
  const base = Math.min(orig, next) * rolloff;
  const width = Math.ceil((lowpassFilterWidth * orig) / base);
  const taps = 2 * width + orig;
  const kernel = new Float32Array(next * taps);
  const fBase = f(base);
  const fPi = f(Math.PI);
  const fScale = f(base / orig);
  const lw = lowpassFilterWidth;
  for (let j = 0; j < next; j++) {
    const phase = f(-j / next);
    for (let k = 0; k < taps; k++) {
      const idx = f((k - width) / orig);
      let t = f(f(phase + idx) * fBase);
      t = Math.min(Math.max(t, -lw), lw);
      let w = f(Math.cos(f(f(f(t * fPi) / lw) / 2)));
      w = f(w * w);
      t = f(t * fPi);
      const s = t === 0 ? 1 : f(f(Math.sin(t)) / t);
      kernel[j * taps + k] = f(s * f(w * fScale));
    }
  }
  return { orig, next, width, taps, kernel };
}

/** Output length: int(ceil(new·n/orig)) in float arithmetic, as torchaudio computes it. */
export function resampledLength(r: SincResampler, n: number): number {
  return Math.ceil((r.next * n) / r.orig);
}

/** Output samples [m0, m1) of every channel, reading only the input they depend on. */
export async function resampleRange(r: SincResampler, src: PcmSource, m0: number, m1: number): Promise<Float32Array[]> {
  if (m1 <= m0) return Array.from({ length: src.channels }, () => new Float32Array(0));
  const i0 = Math.floor(m0 / r.next);
  const i1 = Math.floor((m1 - 1) / r.next);
  const inStart = i0 * r.orig - r.width;
  const inEnd = i1 * r.orig - r.width + r.taps;
  const readStart = Math.max(inStart, 0);
  const got = await src.read(readStart, Math.max(Math.min(inEnd, src.length) - readStart, 0));
  return got.map((ch) => {
    // Zero padding outside [0, n) is torchaudio's F.pad(width, width + orig).
    const x = new Float32Array(inEnd - inStart);
    x.set(ch, readStart - inStart);
    const out = new Float32Array(m1 - m0);
    for (let m = m0; m < m1; m++) {
      const j = m % r.next;
      const base = Math.floor(m / r.next) * r.orig - r.width - inStart;
      const kb = j * r.taps;
      let acc = 0;
      for (let k = 0; k < r.taps; k++) acc += x[base + k]! * r.kernel[kb + k]!;
      out[m - m0] = acc;
    }
    return out;
  });
}
