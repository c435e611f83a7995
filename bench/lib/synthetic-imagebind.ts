/**
 * An `imagebind.pth`-layout checkpoint holding only the vision trunk at ImageBind-Huge's shape
 * (1280 dim, 32 blocks, 16 heads, MLP 5120, 1024 out; spec §2.2), seeded random fp16 weights, and
 * its conversion to the default encoder format (converter/imagebind/formats.ts: q8) for the image
 * encoder. The ImageBind converter writes the encoders whose heads exist, so a vision-only file
 * is enough. Reused when the stamp matches.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTorchCheckpoint, type WriterTensor } from '../../converter/checkpoint';
import { convertImageBind } from '../../converter/imagebind/convert';
import type { ImageBindSection } from '../../src/core/manifest';
import { f32ToF16 } from '../../src/core/half';

export const VISION_HUGE = { name: 'imagebind-huge-vision', dim: 1280, blocks: 32, heads: 16, mlp: 5120, outDim: 1024, patches: 257 };

/** The section file beside the encoder graphs (no LLM part: not a full bundle manifest). */
export const SECTION_FILE = 'imagebind-section.json';

export function visionHugeParams(): number {
  const { dim: D, blocks, mlp, outDim, patches } = VISION_HUGE;
  return D + 3 * 2 * 14 * 14 * D + patches * D + 2 * D + blocks * (4 * D * D + 4 * D + 2 * D * mlp + mlp + D + 4 * D) + 2 * D + outDim * D;
}

function filler(seed: number, std: number): (n: number) => Uint16Array {
  let x = seed >>> 0 || 1;
  const table = new Uint16Array(4096);
  const step = (): number => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  for (let i = 0; i < table.length; i++) table[i] = f32ToF16(((step() / 2 ** 32) * 2 - 1) * std * Math.sqrt(3));
  return (n) => {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = table[step() & 4095]!;
    return out;
  };
}

function visionTensors(): WriterTensor[] {
  const { dim: D, blocks, mlp, outDim, patches } = VISION_HUGE;
  const rand = filler(0x1b1d, 0.02);
  const r = (name: string, shape: number[]): WriterTensor => ({ name, shape, data: () => rand(shape.reduce((a, b) => a * b, 1)) });
  const c = (name: string, n: number, v: number): WriterTensor => ({ name, shape: [n], data: () => new Uint16Array(n).fill(f32ToF16(v)) });
  const t: WriterTensor[] = [
    r('modality_preprocessors.vision.cls_token', [1, 1, D]),
    r('modality_preprocessors.vision.rgbt_stem.proj.1.weight', [D, 3, 2, 14, 14]),
    r('modality_preprocessors.vision.pos_embedding_helper.pos_embed', [1, patches, D]),
    c('modality_trunks.vision.pre_transformer_layer.0.weight', D, 1),
    c('modality_trunks.vision.pre_transformer_layer.0.bias', D, 0),
  ];
  for (let i = 0; i < blocks; i++) {
    const p = `modality_trunks.vision.blocks.${i}`;
    t.push(
      r(`${p}.attn.in_proj_weight`, [3 * D, D]), c(`${p}.attn.in_proj_bias`, 3 * D, 0),
      r(`${p}.attn.out_proj.weight`, [D, D]), c(`${p}.attn.out_proj.bias`, D, 0),
      c(`${p}.norm_1.weight`, D, 1), c(`${p}.norm_1.bias`, D, 0),
      r(`${p}.mlp.fc1.weight`, [mlp, D]), c(`${p}.mlp.fc1.bias`, mlp, 0),
      r(`${p}.mlp.fc2.weight`, [D, mlp]), c(`${p}.mlp.fc2.bias`, D, 0),
      c(`${p}.norm_2.weight`, D, 1), c(`${p}.norm_2.bias`, D, 0),
    );
  }
  t.push(c('modality_heads.vision.0.weight', D, 1), c('modality_heads.vision.0.bias', D, 0), r('modality_heads.vision.2.weight', [outDim, D]));
  return t;
}

export interface SyntheticEncoder {
  dir: string;
  section: ImageBindSection;
  params: number;
}

/** Writes (or reuses) `<workDir>/imagebind-huge-vision/{imagebind.pth, bundle/}`; converts the image encoder at the default format. */
export async function ensureVisionHuge(workDir: string, log: (m: string) => void): Promise<SyntheticEncoder> {
  const root = join(workDir, VISION_HUGE.name);
  const dir = join(root, 'bundle');
  const stampPath = join(root, '.bench-stamp.json');
  const stamp = JSON.stringify({ version: 1, shape: VISION_HUGE, quant: 'auto' });
  const sectionPath = join(dir, SECTION_FILE);
  if (!(existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp && existsSync(sectionPath))) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const ckpt = join(root, 'imagebind.pth');
    log(`generating ${VISION_HUGE.name} checkpoint (${(visionHugeParams() / 1e6).toFixed(0)}M params, fp16)`);
    await writeTorchCheckpoint(ckpt, visionTensors(), { archiveName: 'imagebind' });
    log('converting the image encoder (default format)');
    const { section } = await convertImageBind({ checkpoint: ckpt, outDir: dir, modalities: ['image'], onProgress: (m) => log(m) });
    writeFileSync(sectionPath, JSON.stringify(section, null, 2));
    rmSync(ckpt);
    writeFileSync(stampPath, stamp);
  }
  return { dir, section: JSON.parse(readFileSync(sectionPath, 'utf8')) as ImageBindSection, params: visionHugeParams() };
}
