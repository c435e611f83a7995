/**
 * Convert-time LLaMA tokenizer: reads a Vicuna/LLaMA HF directory (`tokenizer.model` plus the
 * optional `special_tokens_map.json`, `tokenizer_config.json`, `added_tokens.json`) and emits an
 * HF `tokenizer.json` that @huggingface/tokenizers loads and that encodes like SentencePiece.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PandaError } from '../../src/core/errors';
import { buildHfTokenizerJson, type AddedTokenJson } from './hf-tokenizer-json';
import { ModelType, PieceType, parseSentencePieceModel, type SpModel } from './sentencepiece-model';

export interface ConvertedLlamaTokenizer {
  json: unknown;
  bosId: number;
  eosId: number;
  unkId: number;
  padId: number;
  /** transformers' `clean_up_tokenization_spaces` (tokenizer_config.json; default true in 4.29). */
  cleanUpSpaces: boolean;
  /** Non-fatal inconsistencies in the HF side files (e.g. the stale Vicuna `bos_token: "</s>"`). */
  warnings: string[];
}

async function readJsonIfPresent(path: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new PandaError('CONVERT_FAILED', `${path} is not a valid JSON object (${(e as Error).message}). Fix or delete the file.`, { file: path });
  }
}

/** special_tokens_map / tokenizer_config store a token as a string or as `{content: ...}`. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

function checkSupported(model: SpModel, file: string): void {
  const fail = (why: string): never => {
    throw new PandaError('CONVERT_FAILED', `${file}: ${why}. Only LLaMA-style SentencePiece BPE tokenizers are supported.`, { file });
  };
  if (model.pieces.length === 0) fail('the model has no pieces');
  if (model.trainer.modelType !== ModelType.BPE) fail(`model_type is ${model.trainer.modelType}, expected BPE (2)`);
  if (model.normalizer.precompiledCharsmapBytes > 0 && model.normalizer.name !== 'identity') fail(`normalizer "${model.normalizer.name}" with a precompiled charsmap is not supported (expected "identity")`);
  if (model.normalizer.removeExtraWhitespaces) fail('normalizer_spec.remove_extra_whitespaces=true is not supported');
  if (!model.normalizer.escapeWhitespaces) fail('normalizer_spec.escape_whitespaces=false is not supported');
  if (model.trainer.treatWhitespaceAsSuffix) fail('treat_whitespace_as_suffix=true is not supported');
  const expect = (id: number, type: number, what: string): void => {
    if (id < 0 || id >= model.pieces.length || model.pieces[id]!.type !== type) fail(`${what} id ${id} is not a ${what} piece`);
  };
  expect(model.trainer.unkId, PieceType.UNKNOWN, 'unknown');
  expect(model.trainer.bosId, PieceType.CONTROL, 'control (BOS)');
  expect(model.trainer.eosId, PieceType.CONTROL, 'control (EOS)');
}

function parseAddedTokens(raw: Record<string, unknown> | null, base: number, file: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!raw) return out;
  const entries = Object.entries(raw).map(([content, id]) => {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new PandaError('CONVERT_FAILED', `${file}: id of "${content}" is not an integer.`, { file });
    return [content, id] as const;
  }).sort((a, b) => a[1] - b[1]);
  // transformers appends added tokens right after the SentencePiece vocab, without gaps.
  entries.forEach(([content, id], i) => {
    if (id !== base + i) throw new PandaError('CONVERT_FAILED', `${file}: "${content}" has id ${id}, expected ${base + i} (added tokens must follow the ${base}-piece vocab without gaps).`, { file, id });
    out.set(content, id);
  });
  return out;
}

export async function convertLlamaTokenizer(vicunaDir: string): Promise<ConvertedLlamaTokenizer> {
  const modelFile = join(vicunaDir, 'tokenizer.model');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelFile);
  } catch {
    throw new PandaError('CONVERT_FAILED', `Cannot read ${modelFile}. The Vicuna directory must contain the SentencePiece tokenizer.model.`, { file: modelFile });
  }
  const model = parseSentencePieceModel(bytes);
  checkSupported(model, modelFile);
  const warnings: string[] = [];
  const specialMap = await readJsonIfPresent(join(vicunaDir, 'special_tokens_map.json'));
  const config = await readJsonIfPresent(join(vicunaDir, 'tokenizer_config.json'));
  const added = parseAddedTokens(await readJsonIfPresent(join(vicunaDir, 'added_tokens.json')), model.pieces.length, join(vicunaDir, 'added_tokens.json'));

  const pieceIds = new Map<string, number>();
  model.pieces.forEach((p, i) => { if (!pieceIds.has(p.piece)) pieceIds.set(p.piece, i); });
  const idOf = (content: string): number | undefined => added.get(content) ?? pieceIds.get(content);
  const declared = (key: string): string | null => tokenContent(specialMap?.[key]) ?? tokenContent(config?.[key]);

  // BOS/EOS/UNK come from the SentencePiece model itself (spec §12 q1): the side files are only
  // cross-checked, because an early Vicuna v0 special_tokens_map.json said bos = unk = "</s>".
  const fromModel = { bos: model.trainer.bosId, eos: model.trainer.eosId, unk: model.trainer.unkId };
  for (const [name, id] of Object.entries(fromModel)) {
    const content = declared(`${name}_token`);
    if (content === null) continue;
    const sideId = idOf(content);
    if (sideId !== id) {
      warnings.push(`${name}_token in the HF tokenizer files is "${content}" (id ${sideId ?? 'unknown'}), but tokenizer.model defines ${name} = "${model.pieces[id]!.piece}" (id ${id}); using ${id}.`);
    }
  }

  let padId: number;
  const padContent = declared('pad_token');
  const padFromFiles = padContent === null ? undefined : idOf(padContent);
  if (padFromFiles !== undefined) padId = padFromFiles;
  else if (model.trainer.padId >= 0) padId = model.trainer.padId;
  else {
    padId = fromModel.eos;
    warnings.push(`No pad token found (${padContent === null ? 'none declared' : `"${padContent}" is not in the vocab`}); using EOS id ${padId} as pad, as PandaGPT does.`);
  }

  const addedTokens: AddedTokenJson[] = [];
  const special = (id: number, content: string): AddedTokenJson => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  model.pieces.forEach((p, id) => {
    if (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN) addedTokens.push(special(id, p.piece));
  });
  for (const [content, id] of added) addedTokens.push(special(id, content));

  const cleanRaw = config?.clean_up_tokenization_spaces;
  const cleanUpSpaces = typeof cleanRaw === 'boolean' ? cleanRaw : true;

  return {
    json: buildHfTokenizerJson(model, { addedTokens }),
    bosId: fromModel.bos,
    eosId: fromModel.eos,
    unkId: fromModel.unk,
    padId,
    cleanUpSpaces,
    warnings,
  };
}
