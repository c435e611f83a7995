/**
 * Run-time LLaMA tokenizer (pure; Node, workers and the page). Wraps @huggingface/tokenizers,
 * loaded from the `tokenizer.json` the converter writes, with SentencePiece semantics:
 *  - encode = dummy prefix "▁" + BPE with byte fallback, no BOS/EOS, and special-token strings
 *    in the text (`</s>`, `[PAD]`) are plain text, exactly as `sp.encode` (PandaGPT embeds BOS
 *    by id and calls the tokenizer with add_special_tokens=False, spec §6.1);
 *  - decode = skip special ids, then transformers' clean-up when `ref.cleanUpSpaces` (spec §7).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { PandaError } from '../errors';
import type { TokenizerRef } from '../manifest';
import { cleanUpTokenizationSpaces } from './clean-up';
import { createStreamDecoder, type StreamDecoder } from './stream-decoder';

export type { StreamDecoder } from './stream-decoder';

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

function invalid(message: string, details: Record<string, unknown> = {}): PandaError {
  return new PandaError('TOKENIZER_INVALID', `${message} Re-run the converter to regenerate tokenizer.json.`, details);
}

export class LlamaTokenizer {
  private readonly byteValue: Int16Array; // id -> byte value of a <0xXX> piece, or -1
  private readonly skipped: Set<number>;
  private readonly stripsLeadingSpace: boolean;

  private constructor(
    private readonly tok: Tokenizer,
    readonly ref: TokenizerRef,
    private readonly pieces: readonly string[],
  ) {
    this.byteValue = new Int16Array(pieces.length).fill(-1);
    pieces.forEach((p, id) => {
      const m = BYTE_PIECE.exec(p ?? '');
      if (m) this.byteValue[id] = parseInt(m[1]!, 16);
    });
    // transformers' skip_special_tokens drops all special ids: bos, eos, unk, pad, added specials.
    this.skipped = new Set([ref.bosId, ref.eosId, ref.unkId, ref.padId]);
    for (const [id, t] of tok.get_added_tokens_decoder()) if (t.special) this.skipped.add(id);
    // The stream decoder re-implements only *where* the dummy-prefix space is stripped; probe the
    // decoder so a tokenizer.json with another rule fails loudly instead of streaming wrong text.
    const one = tok.decoder!.decode(['\u2581x']);
    const two = tok.decoder!.decode(['\u2581\u2581x']);
    if (one === 'x' && two === ' x') this.stripsLeadingSpace = true;
    else if (one === ' x' && two === '  x') this.stripsLeadingSpace = false;
    else throw invalid(`Unsupported decoder: "▁x" decodes to ${JSON.stringify(one)}, expected a SentencePiece-style decoder.`);
  }

  static fromJson(json: unknown, ref: TokenizerRef): LlamaTokenizer {
    const model = (json as { model?: { type?: unknown; byte_fallback?: unknown } } | null)?.model;
    if (typeof json !== 'object' || json === null || model?.type !== 'BPE') {
      throw invalid('The tokenizer file is not an HF tokenizer.json with a BPE model.');
    }
    let tok: Tokenizer;
    try {
      tok = new Tokenizer(json, { clean_up_tokenization_spaces: false });
    } catch (e) {
      throw invalid(`The tokenizer file could not be loaded (${(e as Error).message}).`);
    }
    if (!tok.model || !tok.decoder) throw invalid('The tokenizer file has no model or no decoder.');
    const pieces = tok.model.vocab;
    for (const [name, id] of [['bosId', ref.bosId], ['eosId', ref.eosId], ['unkId', ref.unkId], ['padId', ref.padId]] as const) {
      if (!Number.isInteger(id) || id < 0 || id >= pieces.length || pieces[id] === undefined) {
        throw invalid(`Tokenizer ${name} ${id} is outside the ${pieces.length}-entry vocabulary.`, { [name]: id });
      }
    }
    return new LlamaTokenizer(tok, ref, pieces);
  }

  /** Number of ids (SentencePiece pieces + added tokens; 32001 for Vicuna v0). */
  get vocabSize(): number {
    return this.pieces.length;
  }

  /** SentencePiece ids of `text`: dummy prefix, no BOS/EOS. `encode("")` is `[]`, like sp. */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    const model = this.tok.model!;
    // Bypasses Tokenizer.encode on purpose: it would split on added tokens (`</s>` → 2).
    const normalized = this.tok.normalizer ? this.tok.normalizer.normalize(text) : text;
    const tokens = model.encode([normalized]);
    return tokens.map((t) => {
      const id = model.tokens_to_ids.get(t);
      if (id === undefined) throw new PandaError('INTERNAL', `Tokenizer produced a piece that is not in its vocabulary: ${JSON.stringify(t)}.`);
      return id;
    });
  }

  /** Text of `ids` with special ids skipped and, if `ref.cleanUpSpaces`, transformers' clean-up. */
  decode(ids: readonly number[]): string {
    const raw = this.decodeRaw(ids);
    return this.ref.cleanUpSpaces ? cleanUpTokenizationSpaces(raw) : raw;
  }

  /** decode() without the clean-up step (what the stream decoder reproduces). */
  decodeRaw(ids: readonly number[]): string {
    const tokens = this.piecesOf(ids);
    return tokens.length === 0 ? '' : this.tok.decoder!.decode(tokens);
  }

  /** Applies the same clean-up decode() would (identity when `ref.cleanUpSpaces` is false). */
  cleanUp(text: string): string {
    return this.ref.cleanUpSpaces ? cleanUpTokenizationSpaces(text) : text;
  }

  /** Streaming detokenizer; see stream-decoder.ts for the clean-up contract. */
  createStreamDecoder(): StreamDecoder {
    return createStreamDecoder({
      isSkipped: (id) => this.skipped.has(id),
      byteOf: (id) => {
        this.checkId(id);
        const b = this.byteValue[id]!;
        return b < 0 ? null : b;
      },
      decodeNoStrip: (ids) => this.decodeNoStrip(ids),
      stripLeadingSpace: this.stripsLeadingSpace,
    });
  }

  /** Piece string of an id (for debugging and tests). */
  idToPiece(id: number): string {
    this.checkId(id);
    return this.pieces[id]!;
  }

  private decodeNoStrip(ids: readonly number[]): string {
    const tokens = this.piecesOf(ids);
    if (tokens.length === 0) return '';
    // A leading non-space sentinel makes the decoder's "strip one leading space" a no-op, so the
    // library's own Replace/ByteFallback/Fuse logic decodes a middle segment.
    return this.tok.decoder!.decode(['x', ...tokens]).slice(1);
  }

  private piecesOf(ids: readonly number[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      this.checkId(id);
      if (!this.skipped.has(id)) out.push(this.pieces[id]!);
    }
    return out;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.pieces.length || this.pieces[id] === undefined) {
      throw new PandaError('TOKENIZER_INVALID', `Token id ${id} is outside the tokenizer's ${this.pieces.length}-entry vocabulary.`, { id });
    }
  }
}
