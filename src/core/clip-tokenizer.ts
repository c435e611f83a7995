/**
 * CLIP BPE tokenizer as ImageBind/PandaGPT use it (`SimpleTokenizer`, bpe_simple_vocab_16e6):
 * clean (ftfy-lite, double HTML unescape, whitespace collapse), lower-case, CLIP regex, byte-level
 * BPE; `[SOT] + bpe + [EOT]` truncated to 77 ids (PandaGPT's copy: a long text loses its EOT, spec
 * §13.1), zero-padded. The class takes the already-decompressed merges text, so decompression
 * stays at the edge (DecompressionStream in browsers/workers, node:zlib in the CLI).
 */
import { PandaError } from './errors';

export const CLIP_CONTEXT = 77;
export const CLIP_SOT = '<|startoftext|>';
export const CLIP_EOT = '<|endoftext|>';
/** merges = lines[1 : 49152 - 256 - 2 + 1] of the merges file. */
const NUM_MERGES = 49152 - 256 - 2;

// The CLIP pattern (python `regex`, IGNORECASE); `u` for \p classes.
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/**
 * GPT-2 byte ↔ unicode map: printable bytes map to themselves, the rest to U+0100 onwards.
 * Returns the map indexed by byte, and the characters in the python dict's insertion order
 * (printable bytes first), which is the order of the first 256 vocab ids.
 */
function bytesToUnicode(): { byByte: string[]; vocabOrder: string[] } {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const byByte: string[] = new Array(256);
  bs.forEach((b, i) => (byByte[b] = String.fromCodePoint(cs[i]!)));
  return { byByte, vocabOrder: cs.map((c) => String.fromCodePoint(c)) };
}

const LIGATURES: Record<string, string> = { 'Ĳ': 'IJ', 'ĳ': 'ij', 'ŉ': "ʼn", 'Ǳ': 'DZ', 'ǲ': 'Dz', 'ǳ': 'dz', 'Ǆ': 'DŽ', 'ǅ': 'Dž', 'ǆ': 'dž', 'Ǉ': 'LJ', 'ǈ': 'Lj', 'ǉ': 'lj', 'Ǌ': 'NJ', 'ǋ': 'Nj', 'ǌ': 'nj', 'ﬀ': 'ff', 'ﬁ': 'fi', 'ﬂ': 'fl', 'ﬃ': 'ffi', 'ﬄ': 'ffl', 'ﬅ': 'ſt', 'ﬆ': 'st' };
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', trade: '™', hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', deg: '°', times: '×', eacute: 'é', egrave: 'è', agrave: 'à', ccedil: 'ç', uuml: 'ü', ouml: 'ö', auml: 'ä', szlig: 'ß', euro: '€', pound: '£', yen: '¥', cent: '¢', middot: '·', bull: '•' };

/**
 * ftfy.fix_text, the parts that matter for typed text: terminal escapes and control characters
 * removed, line breaks unified, latin ligatures and full-width forms expanded, curly quotes
 * straightened, NFC. (Not ported: ftfy's mojibake repair, which needs its charset tables.)
 */
export function ftfyLite(text: string): string {
  let t = text.replace(/\x1b\[[0-9;]*[a-zA-Z]/g, '');
  t = t.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');
  t = t.replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '');
  t = t.replace(/[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g, (c) => LIGATURES[c] ?? c);
  t = t.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
  t = t.replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'").replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"');
  return t.normalize('NFC');
}

/** Python html.unescape for numeric references and the common named ones. */
export function htmlUnescape(text: string): string {
  return text.replace(/&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);?/g, (m, body: string) => {
    if (body[0] === '#') {
      const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
      return cp === 0 ? '\ufffd' : String.fromCodePoint(cp);
    }
    const v = NAMED_ENTITIES[body];
    return v !== undefined && (m.endsWith(';') || body in { amp: 1, lt: 1, gt: 1, quot: 1, nbsp: 1, copy: 1, reg: 1 }) ? v : m;
  });
}

function basicClean(text: string): string {
  return htmlUnescape(htmlUnescape(ftfyLite(text))).trim();
}

function whitespaceClean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export class ClipTokenizer {
  private readonly encoder = new Map<string, number>();
  private readonly ranks = new Map<string, number>();
  private readonly byteEncoder: string[];
  private readonly cache = new Map<string, string[]>();
  readonly sotId: number;
  readonly eotId: number;

  /** `mergesText`: the decompressed contents of bpe_simple_vocab_16e6.txt.gz. */
  constructor(mergesText: string, readonly contextLength = CLIP_CONTEXT) {
    const lines = mergesText.split('\n').slice(1, NUM_MERGES + 1);
    if (lines.length !== NUM_MERGES) {
      throw new PandaError('TOKENIZER_INVALID', `The CLIP BPE merges file has ${lines.length} merges, expected ${NUM_MERGES}. Use ImageBind's bpe_simple_vocab_16e6.txt.gz.`);
    }
    const bytes = bytesToUnicode();
    this.byteEncoder = bytes.byByte;
    const vocab = [...bytes.vocabOrder];
    vocab.push(...bytes.vocabOrder.map((c) => `${c}</w>`));
    lines.forEach((line, i) => {
      const [a, b] = line.split(/\s+/);
      this.ranks.set(`${a} ${b}`, i);
      vocab.push(`${a}${b}`);
    });
    vocab.push(CLIP_SOT, CLIP_EOT);
    vocab.forEach((v, i) => this.encoder.set(v, i));
    this.sotId = this.encoder.get(CLIP_SOT)!;
    this.eotId = this.encoder.get(CLIP_EOT)!;
    this.cache.set(CLIP_SOT, [CLIP_SOT]);
    this.cache.set(CLIP_EOT, [CLIP_EOT]);
  }

  get vocabSize(): number {
    return this.encoder.size;
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const first = word[best]!;
      const second = word[best + 1]!;
      // Merge every non-overlapping occurrence of the best pair, left to right.
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else next.push(word[i++]!);
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  /** BPE ids of a text, without SOT/EOT. */
  encode(text: string): number[] {
    const clean = whitespaceClean(basicClean(text)).toLowerCase();
    const ids: number[] = [];
    const utf8 = new TextEncoder();
    for (const m of clean.matchAll(PATTERN)) {
      const token = [...utf8.encode(m[0])].map((b) => this.byteEncoder[b]!).join('');
      for (const piece of this.bpe(token)) ids.push(this.encoder.get(piece)!);
    }
    return ids;
  }

  /** (texts.length, 77) int64 ids: [SOT] + bpe + [EOT], cut to 77 (PandaGPT), zero-padded. */
  tokenize(texts: string[]): BigInt64Array {
    const ctx = this.contextLength;
    const out = new BigInt64Array(texts.length * ctx);
    texts.forEach((t, r) => {
      const ids = [this.sotId, ...this.encode(t), this.eotId].slice(0, ctx);
      ids.forEach((id, i) => (out[r * ctx + i] = BigInt(id)));
    });
    return out;
  }
}
