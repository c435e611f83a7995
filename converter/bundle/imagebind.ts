/**
 * Call site of the ImageBind converter (converter/imagebind/convert.ts, owned by another engineer).
 * Imported dynamically so this folder builds before that module lands.
 */
import { PandaError } from '../../src/core/errors';
import type { ImageBindSection } from '../../src/core/manifest';

interface ImageBindModule {
  convertImageBind(opts: { checkpoint: string; config?: string; outDir: string; quant?: string }): Promise<{ section: ImageBindSection }>;
}

export async function convertImageBindInto(opts: { checkpoint: string; config?: string; outDir: string; quant?: string }): Promise<ImageBindSection> {
  const spec = '../imagebind/convert';
  let mod: ImageBindModule;
  try {
    mod = (await import(/* @vite-ignore */ spec)) as ImageBindModule;
  } catch (e) {
    throw new PandaError('CONVERT_FAILED', `--imagebind was given but the ImageBind converter (converter/imagebind/convert.ts) is not available: ${(e as Error).message}`);
  }
  return (await mod.convertImageBind(opts)).section;
}
