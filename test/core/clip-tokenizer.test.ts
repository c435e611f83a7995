import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, ftfyLite, htmlUnescape } from '../../src/core/clip-tokenizer';
import { readNpy } from '../helpers/npy';

const FIXTURE = 'test/fixtures/pandagpt-tiny';
const tok = new ClipTokenizer(gunzipSync(readFileSync(join(FIXTURE, 'imagebind/bpe_simple_vocab_16e6.txt.gz'))).toString('utf8'));

/**
 * Golden ids from an independent Python run of the SimpleTokenizer algorithm (python `regex`,
 * html.unescape twice, whitespace collapse, lower-case; no ftfy, which these strings do not need),
 * made with ./clip-tokenizer-oracle.py, not by this implementation.
 */
const GOLDEN: [string, number[]][] = [
  ["A photo of a Golden Retriever, running on the beach!!", [49406, 320, 1125, 539, 320, 3878, 28394, 267, 2761, 525, 518, 2117, 748, 49407]],
  ["  multiple   spaces\tand\nnewlines  ", [49406, 6470, 9006, 537, 1218, 3418, 49407]],
  ["It's what we'll do; they've said I'm sure he'd go", [49406, 585, 568, 768, 649, 1342, 818, 282, 889, 1200, 1946, 328, 880, 1650, 797, 1896, 861, 49407]],
  ["naïve café résumé — déjà vu", [49406, 1097, 35689, 563, 15304, 29106, 7054, 4166, 2005, 25466, 73, 21259, 13230, 49407]],
  ["numbers 12345 and 3.14159", [49406, 6121, 272, 273, 274, 275, 276, 537, 274, 269, 272, 275, 272, 276, 280, 49407]],
  ["Tom &amp; Jerry &lt;3 &amp;amp; &#39;quoted&#39; &#x263A;", [49406, 2435, 261, 9164, 283, 274, 261, 262, 27706, 262, 8703, 49407]],
  ["emoji 🐶🚗🐦 and 日本語のテキスト", [49406, 16327, 14466, 33054, 37260, 537, 39121, 44353, 34002, 252, 21575, 2429, 228, 47121, 32421, 486, 49407]],
  ["<|startoftext|>already marked<|endoftext|>", [49406, 49406, 2426, 12360, 49407, 49407]],
  ["hyphen-ated e-mail user@example.com #hashtag", [49406, 1441, 745, 576, 268, 943, 324, 268, 2614, 7031, 287, 6228, 269, 2464, 258, 9238, 49407]],
  ["UPPER lower MiXeD", [49406, 7067, 4909, 6780, 49407]],
  ["", [49406, 49407]],
  ["the quick brown fox jumps over the lazy dog the quick brown fox jumps over the lazy dog the quick brown fox jumps over the lazy dog the quick brown fox jumps over the lazy dog", [49406, 518, 3712, 2866, 3240, 18911, 962, 518, 10753, 1929, 518, 3712, 2866, 3240, 18911, 962, 518, 10753, 1929, 518, 3712, 2866, 3240, 18911, 962, 518, 10753, 1929, 518, 3712, 2866, 3240, 18911, 962, 518, 10753, 1929, 49407]],
];

describe('ClipTokenizer (CLIP BPE, PandaGPT truncation)', () => {
  it('has the 49,408-id vocabulary with SOT 49406 and EOT 49407', () => {
    expect(tok.vocabSize).toBe(49408);
    expect(tok.sotId).toBe(49406);
    expect(tok.eotId).toBe(49407);
  });

  it('equals reference/text/tokens.npy for the 5 fixture strings', () => {
    const ref = readNpy(join(FIXTURE, 'reference/text/tokens.npy'));
    const texts = JSON.parse(readFileSync(join(FIXTURE, 'reference/index.json'), 'utf8')).text_encoder.items.map((i: { text: string }) => i.text) as string[];
    expect(ref.shape).toEqual([5, 77]);
    expect([...tok.tokenize(texts)]).toEqual([...(ref.data as BigInt64Array)]);
  });

  for (const [text, ids] of GOLDEN) {
    it(`matches the Python tokenizer: ${JSON.stringify(text).slice(0, 50)}`, () => {
      const row = [...tok.tokenize([text])].map(Number);
      expect(row.length).toBe(77);
      expect(row.slice(0, ids.length)).toEqual(ids);
      expect(row.slice(ids.length).every((v) => v === 0)).toBe(true);
    });
  }

  it('truncates [SOT]+bpe+[EOT] to 77 ids, so a long text has no EOT and argmax is SOT at 0 (spec §13.1)', () => {
    const row = [...tok.tokenize(['word '.repeat(100)])].map(Number);
    expect(row.length).toBe(77);
    expect(row).not.toContain(49407);
    expect(row.indexOf(Math.max(...row))).toBe(0);
    // 75 BPE tokens + SOT + EOT = 77 exactly: EOT survives at the last slot.
    const exact = [...tok.tokenize(['word '.repeat(75)])].map(Number);
    expect(exact[76]).toBe(49407);
  });

  it('ftfy-lite and double html unescape', () => {
    expect(ftfyLite('\uff21\uff22\u3000\ufb01sh \u201cq\u2019s\u201d\x1b[31mred\r\n')).toBe('AB fish "q\'s"red\n');
    expect(htmlUnescape(htmlUnescape('&amp;amp; &#39;x&#39; &#x263A; &lt;'))).toBe("& 'x' \u263a <");
    expect(tok.encode('ＡＢＣ')).toEqual(tok.encode('abc'));
  });
});
