/** Writes the bundle's tokenizer.json from the tokenizer converter (converter/tokenizer). */
import type { TokenizerRef } from '../../src/core/manifest';
import { convertLlamaTokenizer } from '../tokenizer/sentencepiece';
import type { BundleWriter } from './writer';

export const TOKENIZER_FILE = 'tokenizer.json';

export async function writeTokenizer(w: BundleWriter, vicunaDir: string, onWarning?: (msg: string) => void): Promise<TokenizerRef> {
  const t = await convertLlamaTokenizer(vicunaDir);
  t.warnings.forEach((m) => onWarning?.(m));
  await w.writeFile(TOKENIZER_FILE, JSON.stringify(t.json));
  return { file: TOKENIZER_FILE, bosId: t.bosId, eosId: t.eosId, unkId: t.unkId, padId: t.padId, cleanUpSpaces: t.cleanUpSpaces };
}
