/**
 * torchaudio.compliance.kaldi.fbank with ImageBind's arguments: 16 kHz, 25 ms / 10 ms frames,
 * snip_edges, channel 0, no dither, remove DC, pre-emphasis 0.97, symmetric Hann, 512-point power
 * spectrum, 128 HTK-style mel bins (20 Hz – Nyquist), log floored at float32 eps.
 * Float32 rounding is emulated where torch computes in float32.
 */
const f = Math.fround;

export const FRAME_LENGTH = 400;
export const FRAME_SHIFT = 160;
export const N_FFT = 512;
export const NUM_MEL_BINS = 128;
const EPS = 1.1920928955078125e-7;
const PREEMPH = f(0.97);

const HANN = (() => {
  const w = new Float32Array(FRAME_LENGTH);
  for (let i = 0; i < FRAME_LENGTH; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME_LENGTH - 1));
  return w;
})();

/** (128, 257) mel filterbank; the Nyquist column is 0 as torchaudio pads it. */
const MEL_BANK = (() => {
  const sr = 16000;
  const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);
  const lowMel = mel(20);
  const highMel = mel(sr / 2);
  const delta = (highMel - lowMel) / (NUM_MEL_BINS + 1);
  const binWidth = sr / N_FFT;
  const melOfBin = new Float32Array(N_FFT / 2);
  for (let k = 0; k < N_FFT / 2; k++) melOfBin[k] = f(1127 * f(Math.log(f(1 + f(f(binWidth * k) / 700)))));
  const bank = new Float32Array(NUM_MEL_BINS * (N_FFT / 2 + 1));
  for (let b = 0; b < NUM_MEL_BINS; b++) {
    const left = f(f(lowMel) + f(b * f(delta)));
    const center = f(f(lowMel) + f((b + 1) * f(delta)));
    const right = f(f(lowMel) + f((b + 2) * f(delta)));
    for (let k = 0; k < N_FFT / 2; k++) {
      const m = melOfBin[k]!;
      const up = f(f(m - left) / f(center - left));
      const down = f(f(right - m) / f(right - center));
      bank[b * (N_FFT / 2 + 1) + k] = Math.max(0, Math.min(up, down));
    }
  }
  return bank;
})();

const { cos: COS, sin: SIN, rev: REV } = (() => {
  const cos = new Float64Array(N_FFT / 2);
  const sin = new Float64Array(N_FFT / 2);
  for (let i = 0; i < N_FFT / 2; i++) {
    cos[i] = Math.cos((-2 * Math.PI * i) / N_FFT);
    sin[i] = Math.sin((-2 * Math.PI * i) / N_FFT);
  }
  const rev = new Uint16Array(N_FFT);
  const bits = Math.log2(N_FFT);
  for (let i = 0; i < N_FFT; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  return { cos, sin, rev };
})();

/** In-place radix-2 complex FFT of length 512. */
function fft(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < N_FFT; i++) {
    const r = REV[i]!;
    if (r > i) {
      [re[i], re[r]] = [re[r]!, re[i]!];
      [im[i], im[r]] = [im[r]!, im[i]!];
    }
  }
  for (let size = 2; size <= N_FFT; size <<= 1) {
    const half = size >> 1;
    const step = N_FFT / size;
    for (let s = 0; s < N_FFT; s += size) {
      for (let k = 0; k < half; k++) {
        const c = COS[k * step]!;
        const sn = SIN[k * step]!;
        const a = s + k;
        const b = a + half;
        const tr = re[b]! * c - im[b]! * sn;
        const ti = re[b]! * sn + im[b]! * c;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a] = re[a]! + tr;
        im[a] = im[a]! + ti;
      }
    }
  }
}

/** Number of frames with snip_edges: 1 + (n − 400) // 160 (0 if n < 400). */
export function numFrames(n: number): number {
  return n < FRAME_LENGTH ? 0 : 1 + Math.floor((n - FRAME_LENGTH) / FRAME_SHIFT);
}

/** Log-mel features of a mono 16 kHz signal → (frames, 128) float32, frame-major like torchaudio. */
export function kaldiFbank(x: Float32Array): { data: Float32Array; frames: number } {
  const frames = numFrames(x.length);
  const out = new Float32Array(frames * NUM_MEL_BINS);
  const frame = new Float32Array(FRAME_LENGTH);
  const re = new Float64Array(N_FFT);
  const im = new Float64Array(N_FFT);
  const power = new Float64Array(N_FFT / 2 + 1);
  for (let t = 0; t < frames; t++) {
    const off = t * FRAME_SHIFT;
    let sum = 0;
    for (let i = 0; i < FRAME_LENGTH; i++) sum += x[off + i]!;
    const mean = f(sum / FRAME_LENGTH);
    for (let i = 0; i < FRAME_LENGTH; i++) frame[i] = f(x[off + i]! - mean);
    re.fill(0);
    im.fill(0);
    for (let i = FRAME_LENGTH - 1; i >= 0; i--) {
      const prev = frame[i > 0 ? i - 1 : 0]!;
      const v = f(frame[i]! - f(PREEMPH * prev));
      re[i] = f(v * HANN[i]!);
    }
    fft(re, im);
    for (let k = 0; k <= N_FFT / 2; k++) power[k] = f(re[k]! * re[k]! + im[k]! * im[k]!);
    for (let b = 0; b < NUM_MEL_BINS; b++) {
      let e = 0;
      const row = b * (N_FFT / 2 + 1);
      for (let k = 0; k < N_FFT / 2; k++) e += power[k]! * MEL_BANK[row + k]!;
      out[t * NUM_MEL_BINS + b] = f(Math.log(Math.max(f(e), EPS)));
    }
  }
  return { data: out, frames };
}
