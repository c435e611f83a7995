/**
 * Minimal protobuf wire-format reader: just enough to walk a message's fields without a schema
 * compiler. Unknown fields are skipped by wire type, so newer SentencePiece files still parse.
 */
import { PandaError } from '../../src/core/errors';

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  LengthDelimited = 2,
  Fixed32 = 5,
}

export interface ProtoField {
  field: number;
  wire: WireType;
  /** Varint value (as bigint so 64-bit ints survive); set for wire type 0. */
  varint?: bigint;
  /** Raw bytes for wire types 1, 2 and 5. */
  bytes?: Uint8Array;
}

function malformed(what: string, offset: number): PandaError {
  return new PandaError('CONVERT_FAILED', `The SentencePiece tokenizer.model is not a valid protobuf (${what} at byte ${offset}). Re-download tokenizer.model.`, { offset });
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw malformed('truncated varint', pos);
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [result, pos];
    shift += 7n;
  }
  throw malformed('varint longer than 10 bytes', pos);
}

/** Splits one message into its fields, in file order (repeated fields appear several times). */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, p] = readVarint(buf, pos);
    pos = p;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n) as WireType;
    if (field === 0) throw malformed('field number 0', start);
    switch (wire) {
      case WireType.Varint: {
        const [v, q] = readVarint(buf, pos);
        out.push({ field, wire, varint: v });
        pos = q;
        break;
      }
      case WireType.Fixed64:
      case WireType.Fixed32: {
        const n = wire === WireType.Fixed64 ? 8 : 4;
        if (pos + n > buf.length) throw malformed('truncated fixed field', pos);
        out.push({ field, wire, bytes: buf.subarray(pos, pos + n) });
        pos += n;
        break;
      }
      case WireType.LengthDelimited: {
        const [len, q] = readVarint(buf, pos);
        const end = q + Number(len);
        if (end > buf.length) throw malformed('length-delimited field past the end', q);
        out.push({ field, wire, bytes: buf.subarray(q, end) });
        pos = end;
        break;
      }
      default:
        throw malformed(`unsupported wire type ${wire as number}`, start);
    }
  }
  return out;
}

// ignoreBOM: a piece may *be* U+FEFF (LLaMA id 30143); the default would silently drop it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function fieldString(f: ProtoField): string {
  if (f.wire !== WireType.LengthDelimited || !f.bytes) throw malformed(`field ${f.field} is not a string`, 0);
  return utf8.decode(f.bytes);
}

export function fieldFloat(f: ProtoField): number {
  if (f.wire !== WireType.Fixed32 || !f.bytes) throw malformed(`field ${f.field} is not a float`, 0);
  return new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true);
}

/** int32 / enum / bool varint; negative int32 values are sign-extended to 64 bits on the wire. */
export function fieldInt32(f: ProtoField): number {
  if (f.wire !== WireType.Varint || f.varint === undefined) throw malformed(`field ${f.field} is not a varint`, 0);
  return Number(BigInt.asIntN(32, f.varint));
}

export function fieldBool(f: ProtoField): boolean {
  return fieldInt32(f) !== 0;
}
