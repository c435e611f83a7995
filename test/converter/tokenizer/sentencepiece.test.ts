import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMerges } from '../../../converter/tokenizer/hf-tokenizer-json';
import { convertLlamaTokenizer } from '../../../converter/tokenizer/sentencepiece';
import { ModelType, PieceType, parseSentencePieceModel } from '../../../converter/tokenizer/sentencepiece-model';
import { isPandaError } from '../../../src/core/errors';

const VICUNA = 'test/fixtures/pandagpt-tiny/vicuna';

// --- a tiny protobuf writer, to craft SentencePiece models that differ in one field ---------
function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const vfield = (field: number, n: number): number[] => [...key(field, 0), ...varint(n)];
const bfield = (field: number, bytes: number[] | Uint8Array): number[] => [...key(field, 2), ...varint(bytes.length), ...bytes];
const sfield = (field: number, s: string): number[] => bfield(field, new TextEncoder().encode(s));
function ffield(field: number, x: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...key(field, 5), ...b];
}
const piece = (p: string, score: number, type?: number): number[] => bfield(1, [...sfield(1, p), ...ffield(2, score), ...(type === undefined ? [] : vfield(3, type))]);

function tinyModel(opts: { modelType?: number; normalizer?: number[] | null; bos?: number; byteFallback?: boolean } = {}): Uint8Array {
  const trainer = [...vfield(3, opts.modelType ?? ModelType.BPE), ...vfield(35, opts.byteFallback === false ? 0 : 1), ...(opts.bos === undefined ? [] : vfield(41, opts.bos))];
  const normalizer = opts.normalizer === undefined ? [...sfield(1, 'identity'), ...vfield(4, 0)] : opts.normalizer;
  return Uint8Array.from([
    ...piece('<unk>', 0, PieceType.UNKNOWN), ...piece('<s>', 0, PieceType.CONTROL), ...piece('</s>', 0, PieceType.CONTROL),
    ...piece('\u2581', -1), ...piece('a', -2), ...piece('b', -3), ...piece('\u2581a', -4), ...piece('ab', -5), ...piece('\u2581ab', -6),
    ...bfield(2, trainer), ...(normalizer === null ? [] : bfield(3, normalizer)), ...bfield(99, [1, 2, 3]), // unknown field 99 is skipped
  ]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tok-conv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function vicunaCopy(name: string, edit: Record<string, unknown | null> = {}): Promise<string> {
  const d = join(dir, name);
  await cp(VICUNA, d, { recursive: true, filter: (src) => !src.endsWith('.bin') });
  for (const [file, content] of Object.entries(edit)) {
    if (content === null) await rm(join(d, file));
    else await writeFile(join(d, file), typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content));
  }
  return d;
}

async function expectConvertFails(d: string, pattern: RegExp): Promise<void> {
  let err: unknown;
  try { await convertLlamaTokenizer(d); } catch (e) { err = e; }
  expect(isPandaError(err) && err.code).toBe('CONVERT_FAILED');
  expect((err as Error).message).toMatch(pattern);
}

describe('parseSentencePieceModel on the real LLaMA tokenizer.model', () => {
  it('reads pieces, trainer_spec and normalizer_spec from the file', async () => {
    const m = parseSentencePieceModel(await readFile(join(VICUNA, 'tokenizer.model')));
    expect(m.pieces).toHaveLength(32000);
    expect(m.trainer).toMatchObject({ modelType: ModelType.BPE, vocabSize: 32000, byteFallback: true, unkId: 0, bosId: 1, eosId: 2, padId: -1 });
    expect(m.normalizer).toMatchObject({ name: 'identity', addDummyPrefix: true, removeExtraWhitespaces: false, escapeWhitespaces: true, precompiledCharsmapBytes: 0 });
    expect(m.pieces.slice(0, 4)).toEqual([
      { piece: '<unk>', score: 0, type: PieceType.UNKNOWN },
      { piece: '<s>', score: 0, type: PieceType.CONTROL },
      { piece: '</s>', score: 0, type: PieceType.CONTROL },
      { piece: '<0x00>', score: 0, type: PieceType.BYTE },
    ]);
    expect(m.pieces[835]).toEqual({ piece: '\u2581###', score: -576, type: PieceType.NORMAL });
    expect(m.pieces[30143]!.piece).toBe('\ufeff'); // a BOM piece survives UTF-8 decoding
    expect(m.pieces.filter((p) => p.type === PieceType.BYTE)).toHaveLength(256);
  });

  it('uses the proto2 defaults for absent fields', () => {
    const m = parseSentencePieceModel(tinyModel({ normalizer: null }));
    expect(m.trainer).toMatchObject({ bosId: 1, eosId: 2, unkId: 0, padId: -1, byteFallback: true });
    expect(m.normalizer).toMatchObject({ addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true });
    expect(parseSentencePieceModel(tinyModel({ bos: 2 })).trainer.bosId).toBe(2);
  });

  it('rejects a truncated file with a typed error', async () => {
    const bytes = await readFile(join(VICUNA, 'tokenizer.model'));
    let err: unknown;
    try { parseSentencePieceModel(bytes.subarray(0, 1000)); } catch (e) { err = e; }
    expect(isPandaError(err) && err.code).toBe('CONVERT_FAILED');
  });
});

describe('buildMerges', () => {
  it('orders merges by piece score and never builds control/byte pieces', async () => {
    const m = parseSentencePieceModel(await readFile(join(VICUNA, 'tokenizer.model')));
    const merges = buildMerges(m);
    const ids = new Map(m.pieces.map((p, i) => [p.piece, i] as const));
    let prev = Infinity;
    for (const [l, r] of merges) {
      const p = m.pieces[ids.get(l + r)!]!;
      expect(p.type).toBe(PieceType.NORMAL);
      expect(p.score).toBeLessThanOrEqual(prev);
      prev = p.score;
    }
    expect(merges[0]).toEqual(['\u2581', 't']); // '▁t' is the best-scored merge (-1)
  });
});

describe('convertLlamaTokenizer', () => {
  it('converts the fixture Vicuna v0 tokenizer', async () => {
    const r = await convertLlamaTokenizer(VICUNA);
    expect({ bos: r.bosId, eos: r.eosId, unk: r.unkId, pad: r.padId, clean: r.cleanUpSpaces, warnings: r.warnings }).toEqual({ bos: 1, eos: 2, unk: 0, pad: 32000, clean: true, warnings: [] });
    const t = new Tokenizer(JSON.parse(JSON.stringify(r.json)), {});
    expect(t.get_vocab(true).size).toBe(32001);
    // Pieces named like Object.prototype members must survive the JSON vocab.
    expect(['toString', 'valueOf', 'constructor'].map((p) => t.token_to_id(p))).toEqual([7711, 25835, 27821]);
    expect(t.id_to_token(32000)).toBe('[PAD]');
    expect(t.encode('### Human: <Img>', { add_special_tokens: false }).ids).toEqual([835, 12968, 29901, 529, 25518, 29958]);
  });

  it('resolves BOS from tokenizer.model when special_tokens_map.json is the stale Vicuna one (spec §12 q1)', async () => {
    const d = await vicunaCopy('stale', { 'special_tokens_map.json': { bos_token: '</s>', eos_token: '</s>', unk_token: '</s>', pad_token: '[PAD]' } });
    const r = await convertLlamaTokenizer(d);
    expect([r.bosId, r.eosId, r.unkId, r.padId]).toEqual([1, 2, 0, 32000]);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(/bos_token .*"<\/s>" \(id 2\).*using 1/);
    expect(r.warnings[1]).toMatch(/unk_token/);
  });

  it('reads pad and clean-up from the side files; falls back to EOS for pad with a warning', async () => {
    const d = await vicunaCopy('nopad', {
      'special_tokens_map.json': { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' },
      'added_tokens.json': null,
      'tokenizer_config.json': { clean_up_tokenization_spaces: false },
    });
    const r = await convertLlamaTokenizer(d);
    expect(r.padId).toBe(2);
    expect(r.cleanUpSpaces).toBe(false);
    expect(r.warnings.join('\n')).toMatch(/pad/);
    expect((r.json as { added_tokens: unknown[] }).added_tokens).toHaveLength(3);
  });

  it('rejects added tokens that do not follow the vocab', async () => {
    await expectConvertFails(await vicunaCopy('gap', { 'added_tokens.json': { '[PAD]': 32005 } }), /expected 32000/);
  });

  it('rejects a missing tokenizer.model', async () => {
    await expectConvertFails(await vicunaCopy('missing', { 'tokenizer.model': null }), /tokenizer\.model/);
  });

  it('rejects non-BPE models and normalizers it cannot express', async () => {
    await expectConvertFails(await vicunaCopy('unigram', { 'tokenizer.model': tinyModel({ modelType: ModelType.UNIGRAM }), 'added_tokens.json': null }), /model_type is 1/);
    // No normalizer_spec: proto2 default remove_extra_whitespaces=true, which LLaMA's file overrides.
    await expectConvertFails(await vicunaCopy('nonorm', { 'tokenizer.model': tinyModel({ normalizer: null }), 'added_tokens.json': null }), /remove_extra_whitespaces/);
  });

  it('converts a crafted BPE model into a working tokenizer.json', async () => {
    // byte_fallback off: python sentencepiece refuses byte_fallback without the 256 byte pieces.
    const d = await vicunaCopy('tiny', { 'tokenizer.model': tinyModel({ byteFallback: false }), 'added_tokens.json': null, 'special_tokens_map.json': null });
    const r = await convertLlamaTokenizer(d);
    const json = r.json as { model: { merges: string[][]; byte_fallback: boolean } };
    expect(json.model.byte_fallback).toBe(false);
    // Score order: ▁a (-4) before ab (-5) before ▁ab (-6).
    expect(json.model.merges).toEqual([['\u2581', 'a'], ['a', 'b'], ['\u2581', 'ab'], ['\u2581a', 'b']]);
    const t = new Tokenizer(json, {});
    // "▁ab": ▁a (-4) then ▁a+b; "▁abab": ab (-5) beats ▁a+b (-6). Checked with python sentencepiece.
    expect(t.encode('ab', { add_special_tokens: false }).ids).toEqual([8]);
    expect(t.encode('abab', { add_special_tokens: false }).ids).toEqual([8, 7]);
  });
});
