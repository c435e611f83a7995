/** Test helper: converts the fixture's Vicuna tokenizer once and loads it like the app does. */
import { readFileSync } from 'node:fs';
import { convertLlamaTokenizer } from '../../../converter/tokenizer/sentencepiece';
import type { TokenizerRef } from '../../../src/core/manifest';
import { LlamaTokenizer } from '../../../src/core/tokenizer/llama-tokenizer';

export const VICUNA_DIR = 'test/fixtures/pandagpt-tiny/vicuna';

export interface GoldenCase {
  text: string;
  ids: number[];
  decoded: string;
}

export function loadGolden(): GoldenCase[] {
  return (JSON.parse(readFileSync('test/fixtures/tokenizer-golden.json', 'utf8')) as { cases: GoldenCase[] }).cases;
}

export async function loadFixtureTokenizer(cleanUpSpaces?: boolean): Promise<LlamaTokenizer> {
  const conv = await convertLlamaTokenizer(VICUNA_DIR);
  // Round-trip through JSON text: the app gets tokenizer.json as a file, not as an object.
  const json: unknown = JSON.parse(JSON.stringify(conv.json));
  const ref: TokenizerRef = {
    file: 'tokenizer.json', bosId: conv.bosId, eosId: conv.eosId, unkId: conv.unkId, padId: conv.padId,
    cleanUpSpaces: cleanUpSpaces ?? conv.cleanUpSpaces,
  };
  return LlamaTokenizer.fromJson(json, ref);
}
