/**
 * WebM/Matroska `DiscardPadding`: how many nanoseconds of decoded audio at the end of a block are
 * padding (an Opus encoder pads the last frame; ffmpeg drops them, WebCodecs decoders do not).
 * A linear EBML walk: it steps into Segment, Cluster and BlockGroup (sizes may be unknown, as in
 * MediaRecorder files) and over everything else, so it never reads frame data as element headers.
 */
const SEGMENT = 0x18538067;
const CLUSTER = 0x1f43b675;
const BLOCK_GROUP = 0xa0;
const BLOCK = 0xa1;
const DISCARD_PADDING = 0x75a2;
const CONTAINERS = new Set([SEGMENT, CLUSTER, BLOCK_GROUP]);

/** An EBML variable-length integer at `o`: its length and value (marker bit kept for IDs). */
function vint(b: Uint8Array, o: number, keepMarker: boolean): { len: number; value: number; unknown: boolean } | null {
  const first = b[o];
  if (first === undefined || first === 0) return null;
  let len = 1;
  while (!(first & (0x80 >> (len - 1)))) len++;
  if (o + len > b.length) return null;
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = value === (0xff >> len);
  for (let i = 1; i < len; i++) {
    value = value * 256 + b[o + i]!;
    if (b[o + i] !== 0xff) allOnes = false;
  }
  return { len, value, unknown: !keepMarker && allOnes };
}

function signed(b: Uint8Array, o: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i]!;
  return n > 0 && b[o]! & 0x80 ? v - 2 ** (8 * n) : v;
}

/**
 * The DiscardPadding (ns) of the last block of each track that has one, by track number.
 * Empty for files that are not Matroska or carry none.
 */
export function webmDiscardPadding(bytes: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  if (bytes.length < 4 || bytes[0] !== 0x1a || bytes[1] !== 0x45 || bytes[2] !== 0xdf || bytes[3] !== 0xa3) return out;
  let o = 0;
  let groupTrack = -1;
  let groupEnd = -1;
  let groupPadding: number | null = null;
  const closeGroup = (): void => {
    if (groupTrack >= 0) {
      if (groupPadding !== null) out.set(groupTrack, groupPadding);
      else out.delete(groupTrack); // a later block without padding: only the last one counts
    }
    groupTrack = -1;
    groupPadding = null;
    groupEnd = -1;
  };
  while (o < bytes.length) {
    if (groupEnd >= 0 && o >= groupEnd) closeGroup();
    const id = vint(bytes, o, true);
    if (!id) break;
    const size = vint(bytes, o + id.len, false);
    if (!size) break;
    const body = o + id.len + size.len;
    if (CONTAINERS.has(id.value)) {
      if (id.value === BLOCK_GROUP) {
        closeGroup();
        groupEnd = size.unknown ? -1 : body + size.value;
      }
      o = body;
      continue;
    }
    if (size.unknown) break;
    if (id.value === BLOCK && groupEnd >= 0) {
      const track = vint(bytes, body, false);
      if (track) groupTrack = track.value;
    } else if (id.value === DISCARD_PADDING && groupEnd >= 0) {
      groupPadding = signed(bytes, body, size.value);
    } else if (id.value === 0xa3) {
      // A SimpleBlock after a BlockGroup of the same track: that group was not the last block.
      const track = vint(bytes, body, false);
      if (track) out.delete(track.value);
    }
    o = body + size.value;
  }
  closeGroup();
  return out;
}
