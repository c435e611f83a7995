/**
 * Reads a SentencePiece `ModelProto` (sentencepiece_model.proto, proto2). Only the fields a
 * tokenizer conversion needs are decoded; absent fields take the proto2 defaults declared in
 * the .proto (which is why e.g. `remove_extra_whitespaces` defaults to true, not false).
 */
import { fieldBool, fieldFloat, fieldInt32, fieldString, readFields } from './protobuf-reader';

/** `SentencePiece.Type` enum values. */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
export type PieceTypeValue = (typeof PieceType)[keyof typeof PieceType];

/** `TrainerSpec.ModelType` enum values. */
export const ModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

export interface SpPiece {
  piece: string;
  score: number;
  type: PieceTypeValue;
}

export interface SpTrainerSpec {
  modelType: number;
  vocabSize: number;
  byteFallback: boolean;
  splitDigits: boolean;
  treatWhitespaceAsSuffix: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  unkSurface: string;
}

export interface SpNormalizerSpec {
  name: string;
  /** Byte length of the precompiled char map; 0 means no Unicode normalization. */
  precompiledCharsmapBytes: number;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SpModel {
  pieces: SpPiece[];
  trainer: SpTrainerSpec;
  normalizer: SpNormalizerSpec;
}

function parsePiece(buf: Uint8Array): SpPiece {
  const p: SpPiece = { piece: '', score: 0, type: PieceType.NORMAL };
  for (const f of readFields(buf)) {
    if (f.field === 1) p.piece = fieldString(f);
    else if (f.field === 2) p.score = fieldFloat(f);
    else if (f.field === 3) p.type = fieldInt32(f) as PieceTypeValue;
  }
  return p;
}

function parseTrainer(buf: Uint8Array | undefined): SpTrainerSpec {
  // proto2 defaults from sentencepiece_model.proto.
  const t: SpTrainerSpec = {
    modelType: ModelType.UNIGRAM, vocabSize: 8000, byteFallback: false, splitDigits: false, treatWhitespaceAsSuffix: false,
    unkId: 0, bosId: 1, eosId: 2, padId: -1,
    unkPiece: '<unk>', bosPiece: '<s>', eosPiece: '</s>', padPiece: '<pad>', unkSurface: ' \u2047 ',
  };
  if (!buf) return t;
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 3: t.modelType = fieldInt32(f); break;
      case 4: t.vocabSize = fieldInt32(f); break;
      case 35: t.byteFallback = fieldBool(f); break;
      case 25: t.splitDigits = fieldBool(f); break;
      case 24: t.treatWhitespaceAsSuffix = fieldBool(f); break;
      case 40: t.unkId = fieldInt32(f); break;
      case 41: t.bosId = fieldInt32(f); break;
      case 42: t.eosId = fieldInt32(f); break;
      case 43: t.padId = fieldInt32(f); break;
      case 45: t.unkPiece = fieldString(f); break;
      case 46: t.bosPiece = fieldString(f); break;
      case 47: t.eosPiece = fieldString(f); break;
      case 48: t.padPiece = fieldString(f); break;
      case 44: t.unkSurface = fieldString(f); break;
      default: break;
    }
  }
  return t;
}

function parseNormalizer(buf: Uint8Array | undefined): SpNormalizerSpec {
  const n: SpNormalizerSpec = { name: '', precompiledCharsmapBytes: 0, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
  if (!buf) return n;
  for (const f of readFields(buf)) {
    switch (f.field) {
      case 1: n.name = fieldString(f); break;
      case 2: n.precompiledCharsmapBytes = f.bytes?.length ?? 0; break;
      case 3: n.addDummyPrefix = fieldBool(f); break;
      case 4: n.removeExtraWhitespaces = fieldBool(f); break;
      case 5: n.escapeWhitespaces = fieldBool(f); break;
      default: break;
    }
  }
  return n;
}

export function parseSentencePieceModel(bytes: Uint8Array): SpModel {
  const pieces: SpPiece[] = [];
  let trainer: Uint8Array | undefined;
  let normalizer: Uint8Array | undefined;
  for (const f of readFields(bytes)) {
    if (f.field === 1 && f.bytes) pieces.push(parsePiece(f.bytes));
    else if (f.field === 2) trainer = f.bytes;
    else if (f.field === 3) normalizer = f.bytes;
  }
  return { pieces, trainer: parseTrainer(trainer), normalizer: parseNormalizer(normalizer) };
}
