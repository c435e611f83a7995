import { readFileSync } from 'node:fs';
import llamaTokenizerJs from 'llama-tokenizer-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { isPandaError } from '../../../src/core/errors';
import { LlamaTokenizer } from '../../../src/core/tokenizer/llama-tokenizer';
import { loadFixtureTokenizer, loadGolden, type GoldenCase } from './load-fixture-tokenizer';

let tok: LlamaTokenizer; // cleanUpSpaces from the converter (true for Vicuna v0)
let raw: LlamaTokenizer; // same vocab, no clean-up: comparable with sentencepiece's decode
let golden: GoldenCase[];

beforeAll(async () => {
  tok = await loadFixtureTokenizer();
  raw = await loadFixtureTokenizer(false);
  golden = loadGolden();
});

describe('LlamaTokenizer vs the sentencepiece golden corpus', () => {
  it('has a large, varied corpus', () => {
    expect(golden.length).toBeGreaterThanOrEqual(2000);
    expect(golden.some((c) => c.ids.some((id) => id >= 3 && id <= 258))).toBe(true); // byte fallback
    expect(golden.some((c) => c.text === '')).toBe(true);
  });

  it('encodes every string to the sentencepiece ids', () => {
    const mismatches = golden.filter((c) => JSON.stringify(tok.encode(c.text)) !== JSON.stringify(c.ids));
    expect(mismatches.map((c) => c.text)).toEqual([]);
  });

  it('decodes every golden id sequence like sentencepiece (clean-up off)', () => {
    const mismatches = golden.filter((c) => raw.decode(c.ids) !== c.decoded);
    expect(mismatches.map((c) => [c.text, raw.decode(c.ids), c.decoded])).toEqual([]);
  });

  it('agrees with the independent llama-tokenizer-js oracle (golden wins on disagreement)', () => {
    const disagree = golden.filter((c) => {
      const js = c.text === '' ? [] : llamaTokenizerJs.encode(c.text, false, true);
      return JSON.stringify(js) !== JSON.stringify(c.ids);
    });
    // Measured: 0 of 2400. Any future disagreement is a bug in one of the oracles: inspect it.
    expect(disagree.map((c) => c.text)).toEqual([]);
  });
});

describe('spec and reference prompt ids', () => {
  it('§6.2 single-turn prompt', () => {
    expect(tok.encode('### Human: <Img>')).toEqual([835, 12968, 29901, 529, 25518, 29958]);
    expect(tok.encode('</Img> Describe this image.\n### Assistant:')).toEqual([1533, 25518, 29958, 20355, 915, 445, 1967, 29889, 13, 2277, 29937, 4007, 22137, 29901]);
  });

  it('§6.3 two-turn prompt', () => {
    expect(tok.encode('</Img> What is in the picture?\n### Assistant: A dog.\n### Human: What color is it?\n### Assistant:')).toEqual(
      [1533, 25518, 29958, 1724, 338, 297, 278, 7623, 29973, 13, 2277, 29937, 4007, 22137, 29901, 319, 11203, 29889, 13, 2277, 29937, 12968, 29901, 1724, 2927, 338, 372, 29973, 13, 2277, 29937, 4007, 22137, 29901],
    );
  });

  it('§6.1 useful ids', () => {
    expect(tok.encode('\n')).toEqual([29871, 13]); // dummy prefix "▁" then byte <0x0A>
    expect(tok.idToPiece(2277)).toBe('##');
    expect(tok.encode('## x')[0]).toBe(444); // "▁##" at the very start does not stop generation
  });

  interface RefCase { id: string; text_before?: string; ids_before?: number[]; text_after?: string; ids_after?: number[]; bare_text?: string; ids?: number[]; bos_id?: number; greedy: { ids: number[]; decoded_sentencepiece: string } }
  const cases = (JSON.parse(readFileSync('test/fixtures/pandagpt-tiny/reference/index.json', 'utf8')) as { llm: { cases: RefCase[] } }).llm.cases;

  it.each(cases.map((c) => [c.id, c] as const))('reference case %s: prompt ids and greedy decode', (_id, c) => {
    if (c.bare_text !== undefined) {
      expect([1, ...tok.encode(c.bare_text)]).toEqual(c.ids);
    } else {
      expect(c.bos_id).toBe(1);
      expect(tok.encode(c.text_before!)).toEqual(c.ids_before);
      expect(tok.encode(c.text_after!)).toEqual(c.ids_after);
    }
    expect(raw.decode(c.greedy.ids)).toBe(c.greedy.decoded_sentencepiece);
  });
});

describe('decode', () => {
  it('skips BOS, EOS, UNK and [PAD]', () => {
    const ids = tok.encode('A dog.');
    expect(tok.decode([1, ...ids, 2, 32000, 0])).toBe('A dog.');
    expect(tok.decode([1, 2, 32000])).toBe('');
    expect(tok.decode([])).toBe('');
  });

  it("applies transformers' clean-up only when ref.cleanUpSpaces", () => {
    const ids = tok.encode("Hello , world . Is n't it ? Yes ! I 'm sure it 's fine , we 've seen they 're ' ok '");
    expect(tok.decode(ids)).toBe("Hello, world. Isn't it? Yes! I'm sure it's fine, we've seen they're'ok '");
    expect(raw.decode(ids)).toBe("Hello , world . Is n't it ? Yes ! I 'm sure it 's fine , we 've seen they 're ' ok '");
    expect(tok.cleanUp('a .')).toBe('a.');
    expect(raw.cleanUp('a .')).toBe('a .');
  });

  it('drops only the dummy-prefix space', () => {
    expect(raw.decode(tok.encode('  two spaces'))).toBe('  two spaces');
    expect(raw.decode(tok.encode('x'))).toBe('x');
  });

  it('rejects ids outside the vocabulary with a typed error', () => {
    expect(tok.vocabSize).toBe(32001);
    for (const bad of [32001, -1, 1.5]) {
      let err: unknown;
      try { tok.decode([bad]); } catch (e) { err = e; }
      expect(isPandaError(err) && err.code).toBe('TOKENIZER_INVALID');
    }
  });
});

describe('encode', () => {
  it('treats special-token strings in the text as plain text (SentencePiece semantics)', () => {
    const ids = tok.encode('a</s>b<s>[PAD]');
    expect(ids).not.toContain(1);
    expect(ids).not.toContain(2);
    expect(ids).not.toContain(32000);
  });

  it('never adds BOS/EOS and keeps runs of spaces', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.encode('Hello')).toEqual([15043]);
    expect(raw.decode(tok.encode('a \t  b   '))).toBe('a \t  b   ');
  });
});

describe('fromJson', () => {
  const ref = { file: 't.json', bosId: 1, eosId: 2, unkId: 0, padId: 32000, cleanUpSpaces: true };
  it('rejects a file that is not a BPE tokenizer.json', () => {
    for (const bad of [null, 42, {}, { model: { type: 'Unigram' } }]) {
      let err: unknown;
      try { LlamaTokenizer.fromJson(bad, ref); } catch (e) { err = e; }
      expect(isPandaError(err) && err.code).toBe('TOKENIZER_INVALID');
    }
  });
});
