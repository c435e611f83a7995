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
  let started = false; // whether any character has been produced (the strip applies once)
  let pending: number[] = []; // ids of the trailing byte-fallback run
  let pendingShown = 0; // characters of the pending run's text already emitted
  let text = '';

  const emit = (raw: string): string => {
    let out = raw;
    if (!started && out.length > 0) {
      started = true;
      if (h.stripLeadingSpace && out.startsWith(' ')) out = out.slice(1);
    }
    text += out;
    return out;
  };

  /** Text of the pending byte run that can no longer change: complete characters only. */
  const stableRunText = (): string => {
    const bytes = Uint8Array.from(pending.map((id) => h.byteOf(id)!));
    // stream:true withholds a trailing incomplete sequence; what it returns is a prefix of the
    // one-shot decode the tokenizer does later (WHATWG decoding is streaming-consistent).
    return new TextDecoder('utf-8').decode(bytes, { stream: true });
  };

  /** Closes the pending run (plus `id`, if any) with the tokenizer's own decoder. */
  const close = (ids: number[]): string => {
    const seg = h.decodeNoStrip(ids);
    const out = seg.slice(pendingShown);
    pending = [];
    pendingShown = 0;
    return emit(out);
  };

  return {
    push(id: number): string {
      if (h.isSkipped(id)) return '';
      if (h.byteOf(id) === null) return close([...pending, id]);
      pending.push(id);
      const stable = stableRunText();
      const out = stable.slice(pendingShown);
      pendingShown = stable.length;
      return emit(out);
    },
    flush(): string {
      return pending.length > 0 ? close(pending) : '';
    },
    get text(): string {
      return text;
    },
  };
}
