/** Writes the bundle's tokenizer.json from the tokenizer converter (converter/tokenizer). */
import type { TokenizerRef } from '../../src/core/manifest';
import { currentRuntime } from '../parallel/runtime';
import { type ConvertedLlamaTokenizer, convertLlamaTokenizer } from '../tokenizer/sentencepiece';
import type { BundleWriter } from './writer';

export const TOKENIZER_FILE = 'tokenizer.json';

/** A converted tokenizer with its tokenizer.json as text (what a pool worker sends back). */
export type TokenizerText = Omit<ConvertedLlamaTokenizer, 'json'> & { text: string };

export function tokenizerText(t: ConvertedLlamaTokenizer): TokenizerText {
  const { json, ...rest } = t;
  return { ...rest, text: JSON.stringify(json) };
}

export async function writeTokenizer(w: BundleWriter, vicunaDir: string, onWarning?: (msg: string) => void): Promise<TokenizerRef> {
  const pool = currentRuntime().pool;
  // With workers, the conversion (parsing a 32k-piece model) runs on one while this thread reads weights.
  const t = pool ? await pool.run({ kind: 'tokenizer', dir: vicunaDir }, { file: vicunaDir }) : tokenizerText(await convertLlamaTokenizer(vicunaDir));
  t.warnings.forEach((m) => onWarning?.(m));
  await w.writeFile(TOKENIZER_FILE, t.text);
  return { file: TOKENIZER_FILE, bosId: t.bosId, eosId: t.eosId, unkId: t.unkId, padId: t.padId, cleanUpSpaces: t.cleanUpSpaces };
}
