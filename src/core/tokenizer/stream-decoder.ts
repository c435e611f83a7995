/**
 * Incremental detokenization for generation. SentencePiece byte-fallback tokens can split one
 * character over several ids (`你` = <0xE4><0xBD><0xA0>), so a run of byte tokens is held back
 * until its bytes form complete UTF-8 characters; everything else is final as soon as it arrives
 * because the LLaMA decoder (Replace ▁→space, ByteFallback, Fuse, Strip one leading space) is
 * compositional at every non-byte token.
 *
 * Invariant: concat(all push() results) + flush() === the tokenizer's decode(ids) *before*
 * clean-up. Clean-up (" ." → "." …) is a pure function of the whole text and is not prefix-stable
 * (" '" may later become "'s"), so it is never applied here: a UI that wants cleaned partial text
 * re-renders `cleanUp(stream.text)`; the final reply is `decode(ids)`, which equals
 * `cleanUp(stream.text)` after flush().
 */
export interface StreamDecoder {
  /** Feeds one generated id; returns the text that became final with it (often ""). */
  push(id: number): string;
  /** Ends the stream: an unfinished byte sequence is emitted as U+FFFD, like decode() does. */
  flush(): string;
  /** All text emitted so far. */
  readonly text: string;
}

/** What the stream decoder needs from a tokenizer (kept small so it is testable on its own). */
export interface StreamDecodeHooks {
  isSkipped(id: number): boolean;
  /** The byte value of a byte-fallback piece, or null for any other id. */
  byteOf(id: number): number | null;
  /** Decodes ids without the leading-space strip and without clean-up. */
  decodeNoStrip(ids: number[]): string;
  /** Whether the first character of the whole text is dropped when it is a space (dummy prefix). */
  stripLeadingSpace: boolean;
}

export function createStreamDecoder(h: StreamDecodeHooks): StreamDecoder {
  let finalRaw = ''; // unstripped text of every id up to the pending byte run
  let pending: number[] = []; // ids of the trailing byte-fallback run
  let emitted = '';

  const visible = (raw: string): string => (h.stripLeadingSpace && raw.startsWith(' ') ? raw.slice(1) : raw);

  const advance = (raw: string): string => {
    const v = visible(raw);
    // v extends `emitted` by construction; slice is the new part.
    const out = v.slice(emitted.length);
    emitted = v;
    return out;
  };

  /** Text of the pending byte run that can no longer change: complete characters only. */
  const stableRunText = (): string => {
    const bytes = Uint8Array.from(pending.map((id) => h.byteOf(id)!));
    // stream:true withholds a trailing incomplete sequence; errors before it are final (WHATWG).
    return new TextDecoder('utf-8').decode(bytes, { stream: true });
  };

  return {
    push(id: number): string {
      if (h.isSkipped(id)) return '';
      if (h.byteOf(id) !== null) {
        pending.push(id);
        return advance(finalRaw + stableRunText());
      }
      finalRaw += h.decodeNoStrip([...pending, id]);
      pending = [];
      return advance(finalRaw);
    },
    flush(): string {
      if (pending.length > 0) {
        finalRaw += h.decodeNoStrip(pending);
        pending = [];
      }
      return advance(finalRaw);
    },
    get text(): string {
      return emitted;
    },
  };
}
