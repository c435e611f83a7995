/**
 * Builds an HF `tokenizer.json` (BPE + byte fallback) from a parsed SentencePiece BPE model,
 * the way transformers' LlamaConverter does, with two deliberate differences so that encoding
 * equals SentencePiece exactly:
 *  - merges are only emitted for pieces SentencePiece itself can produce by merging (NORMAL,
 *    USER_DEFINED, UNUSED); control/byte/unknown pieces such as `<s>` or `<0x0A>` are never
 *    reachable from text, as in SentencePiece;
 *  - merge order is the SentencePiece priority: higher piece score first.
 */
import { PieceType, type SpModel } from './sentencepiece-model';

export const SPACE_SYMBOL = '\u2581'; // "▁"

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

const MERGEABLE = new Set<number>([PieceType.NORMAL, PieceType.USER_DEFINED, PieceType.UNUSED]);

/** All (left, right) splits of each mergeable piece whose halves are symbols BPE can hold. */
export function buildMerges(model: SpModel): [string, string][] {
  const vocab = new Map<string, number>();
  model.pieces.forEach((p, i) => { if (!vocab.has(p.piece)) vocab.set(p.piece, i); });
  // A BPE symbol is a single character or a previously merged piece.
  const isSymbol = (s: string): boolean => vocab.has(s) || [...s].length === 1;
  const candidates: { l: string; r: string; score: number; id: number }[] = [];
  model.pieces.forEach((p, id) => {
    if (!MERGEABLE.has(p.type)) return;
    const chars = [...p.piece];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join('');
      const r = chars.slice(k).join('');
      if (isSymbol(l) && isSymbol(r)) candidates.push({ l, r, score: p.score, id });
    }
  });
  // Stable: higher score first, then lower piece id (SentencePiece breaks exact score ties by
  // position instead, which a rank list cannot express; see llama-tokenizer.ts).
  candidates.sort((a, b) => b.score - a.score || a.id - b.id);
  return candidates.map((c) => [c.l, c.r]);
}

export interface HfTokenizerJsonOptions {
  addedTokens: AddedTokenJson[];
}

export function buildHfTokenizerJson(model: SpModel, opts: HfTokenizerJsonOptions): Record<string, unknown> {
  // A Map, not `piece in {}`: LLaMA has pieces named "toString", "valueOf" and "constructor".
  const ids = new Map<string, number>();
  model.pieces.forEach((p, i) => { if (!ids.has(p.piece)) ids.set(p.piece, i); });
  const vocab = Object.fromEntries(ids);
  const normalizers: unknown[] = [];
  if (model.normalizer.addDummyPrefix) normalizers.push({ type: 'Prepend', prepend: SPACE_SYMBOL });
  normalizers.push({ type: 'Replace', pattern: { String: ' ' }, content: SPACE_SYMBOL });
  const decoders: unknown[] = [
    { type: 'Replace', pattern: { String: SPACE_SYMBOL }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
  ];
  if (model.normalizer.addDummyPrefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: opts.addedTokens,
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: null,
    // PandaGPT never lets the tokenizer add BOS/EOS (spec §6.1); BOS is embedded by id.
    post_processor: null,
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: model.pieces[model.trainer.unkId]?.piece ?? null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: model.trainer.byteFallback,
      ignore_merges: false,
      vocab,
      merges: buildMerges(model),
    },
  };
}
