import { beforeAll, describe, expect, it } from 'vitest';
import type { LlamaTokenizer } from '../../../src/core/tokenizer/llama-tokenizer';
import { loadFixtureTokenizer, loadGolden, type GoldenCase } from './load-fixture-tokenizer';

let tok: LlamaTokenizer;
let golden: GoldenCase[];

beforeAll(async () => {
  tok = await loadFixtureTokenizer();
  golden = loadGolden();
});

/** mulberry32: small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function streamAll(ids: number[]): { pieces: string[]; flushed: string; text: string } {
  const s = tok.createStreamDecoder();
  const pieces = ids.map((id) => s.push(id));
  const flushed = s.flush();
  return { pieces, flushed, text: s.text };
}

describe('StreamDecoder', () => {
  it('holds a byte-fallback character until its last byte arrives', () => {
    const ids = tok.encode('\u{20000}好 x'); // U+20000 has no piece: 4 byte-fallback ids
    expect(ids.filter((id) => id >= 3 && id <= 258)).toHaveLength(4);
    const s = tok.createStreamDecoder();
    const out = ids.map((id) => s.push(id));
    expect(out.join('') + s.flush()).toBe('\u{20000}好 x');
    for (const o of out) expect(o).not.toContain('\uFFFD');
  });

  it('emits nothing for a partial UTF-8 sequence, then the whole character', () => {
    const e4 = 3 + 0xe4, bd = 3 + 0xbd, a0 = 3 + 0xa0; // <0xXX> is id 3 + XX in LLaMA
    expect([e4, bd, a0].map((id) => tok.idToPiece(id))).toEqual(['<0xE4>', '<0xBD>', '<0xA0>']);
    const s = tok.createStreamDecoder();
    expect(s.push(e4)).toBe('');
    expect(s.push(bd)).toBe('');
    expect(s.push(a0)).toBe('你');
    expect(s.flush()).toBe('');
    expect(tok.decode([e4, bd, a0])).toBe('你');
  });

  it('turns an unfinished byte sequence into U+FFFD only at flush or at the next piece, like decode', () => {
    const e4 = 3 + 0xe4, bd = 3 + 0xbd;
    const s = tok.createStreamDecoder();
    expect(s.push(e4) + s.push(bd)).toBe('');
    expect(s.flush()).toBe(tok.decodeRaw([e4, bd]));
    expect(s.text).toContain('\uFFFD');
    const hello = tok.encode('Hi')[0]!;
    const t = tok.createStreamDecoder();
    t.push(e4);
    expect(t.push(hello)).toBe(tok.decodeRaw([e4, hello]));
  });

  it('strips the dummy-prefix space of the first piece only, like decode', () => {
    const ids = tok.encode('Hello world');
    const s = tok.createStreamDecoder();
    expect(s.push(1)).toBe(''); // BOS is skipped
    expect(s.push(ids[0]!)).toBe('Hello');
    expect(s.push(ids[1]!)).toBe(' world');
    const sp = tok.createStreamDecoder();
    expect(sp.push(tok.encode(' ')[0]!)).toBe(tok.decodeRaw(tok.encode(' ')));
  });

  it('golden sequences: concat(pushes) + flush === decodeRaw(ids), never a premature U+FFFD', () => {
    for (const c of golden) {
      const { pieces, flushed, text } = streamAll(c.ids);
      const full = tok.decodeRaw(c.ids);
      expect(pieces.join('') + flushed).toBe(full);
      expect(text).toBe(full);
      if (!full.includes('\uFFFD')) for (const p of pieces) expect(p).not.toContain('\uFFFD');
    }
  });

  it('random id sequences cut from the corpus (mid-character cuts, special ids mixed in)', () => {
    const rnd = prng(1234);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    let withFffd = 0;
    for (let trial = 0; trial < 1500; trial++) {
      const ids: number[] = [];
      const parts = 1 + Math.floor(rnd() * 4);
      for (let p = 0; p < parts; p++) {
        const src = pick(golden).ids;
        const a = Math.floor(rnd() * (src.length + 1));
        const b = a + Math.floor(rnd() * (src.length - a + 1));
        ids.push(...src.slice(a, b));
        if (rnd() < 0.2) ids.push(pick([0, 1, 2, 32000]));
        if (rnd() < 0.2) ids.push(3 + Math.floor(rnd() * 256)); // stray byte piece
      }
      const full = tok.decodeRaw(ids);
      const { pieces, flushed, text } = streamAll(ids);
      expect(pieces.join('') + flushed).toBe(full);
      expect(text).toBe(full);
      // Each emitted chunk is final: U+FFFD appears in the stream only where decode has it.
      let at = 0;
      for (const p of [...pieces, flushed]) {
        expect(full.startsWith(p, at)).toBe(true);
        at += p.length;
      }
      if (full.includes('\uFFFD')) withFffd++;
      else for (const p of pieces) expect(p).not.toContain('\uFFFD');
      expect(tok.cleanUp(text)).toBe(tok.decode(ids));
    }
    expect(withFffd).toBeGreaterThan(0); // the generator really produced broken sequences
  });
});
