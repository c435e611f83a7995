/**
 * ImageBind checkpoint ─► one ONNX graph (+ external data) per encoder and weight format, and the
 * manifest section the runtime reads (input/output names, postprocess, variants per backend).
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openCheckpoint } from '../checkpoint';
import type { TensorSource } from '../checkpoint/types';
import { FileExternalDataSink } from '../onnx/external-data';
import type { EncoderPart, EncoderVariant, ImageBindSection } from '../../src/core/manifest';
import { readAudioStride, readImageBindHeads, type ImageBindHeads } from './config';
import { buildEncoderGraph, ENCODER_INPUTS, ENCODER_OUTPUT, TRUNK_OF, type EncoderKind } from './encoders';
import { FORMAT_BACKENDS, formatsFor } from './formats';
import { postprocessFor } from './postprocess';
import { Weights } from './weights';
import { PandaError } from '../../src/core/errors';
import { writeHashedFile } from '../parallel/runtime';

export const ENCODER_KINDS: readonly EncoderKind[] = ['image', 'video', 'audio', 'thermal', 'depth', 'imu', 'text'];
export const BPE_FILE = 'imagebind-bpe_simple_vocab_16e6.txt.gz';

export interface ConvertImageBindOptions {
  checkpoint: string;
  /** JSON with ImageBind constructor kwargs (head counts); default ImageBind-Huge. */
  config?: string;
  outDir: string;
  /** fp32 | auto (default) | all | imagebind-{fp32,q8,q4}, comma list; see ./formats.ts. */
  quant?: string;
  /** CLIP BPE merges (.txt.gz); default: `bpe_simple_vocab_16e6.txt.gz` beside the checkpoint. */
  bpe?: string;
  /** Encoders to write (default: every one the checkpoint has). */
  modalities?: EncoderKind[];
  /** Use this source instead of opening `checkpoint`. */
  source?: TensorSource;
  onProgress?: (message: string) => void;
}

export async function convertImageBind(opts: ConvertImageBindOptions): Promise<{ section: ImageBindSection }> {
  const heads = await readImageBindHeads(opts.config);
  const audioStride = await readAudioStride(opts.config);
  const src = opts.source ?? (await openCheckpoint(opts.checkpoint));
  try {
    await mkdir(opts.outDir, { recursive: true });
    return await convertFromSource(src, heads, audioStride, opts);
  } finally {
    if (!opts.source) await src.close();
  }
}

async function convertFromSource(src: TensorSource, heads: ImageBindHeads, audioStride: number, opts: ConvertImageBindOptions): Promise<{ section: ImageBindSection }> {
  const w = new Weights(src);
  const kinds = (opts.modalities ?? ENCODER_KINDS).filter((k) => w.has(`modality_heads.${TRUNK_OF[k]}.0.weight`) || w.has(`modality_heads.${TRUNK_OF[k]}.proj.0.weight`));
  const encoders: ImageBindSection['encoders'] = {};
  let outDim = 0;
  // Video first: the image encoder reuses its graphs (see sharesVideo) when the formats allow.
  const order = [...kinds].sort((a, b) => (a === 'video' ? -1 : b === 'video' ? 1 : 0));
  for (const kind of order) {
    const formats = formatsFor(kind, opts.quant);
    const video = encoders.video;
    const shared = kind === 'image' && video !== undefined && formats.every((f) => video.variants.some((v) => v.format === f));
    const variants: EncoderVariant[] = [];
    if (shared) {
      // A still image is a 2-frame video of itself (PadIm2Video): the video graph with the frame
      // repeated gives the image embedding, so the vision trunk (0.63 GB at q8 for ViT-H) is stored once.
      opts.onProgress?.(`ImageBind image → the video graphs (${formats.join(', ')}), frames repeated`);
      for (const f of formats) variants.push({ ...video.variants.find((v) => v.format === f)! });
    }
    for (const format of shared ? [] : formats) {
      const file = `imagebind-${kind}-${format}.onnx`;
      opts.onProgress?.(`ImageBind ${kind} (${format}) → ${file}`);
      const sink = new FileExternalDataSink(opts.outDir, file);
      let built;
      try {
        built = await buildEncoderGraph({ kind, weights: w, heads, linear: format, audioStride, sink });
        await built.graph.settle();
      } finally {
        sink.close();
      }
      await writeHashedFile(join(opts.outDir, file), built.graph.toModelBytes({ docString: `ImageBind ${kind} encoder, ${format} weights, raw head output` }));
      outDim = built.outDim;
      variants.push({ file, externalData: built.graph.externalLocations, format, backends: FORMAT_BACKENDS[format], maxTensorBytes: built.graph.largestInitializerBytes });
    }
    const io = shared ? ENCODER_INPUTS.video : ENCODER_INPUTS[kind];
    const part: EncoderPart = {
      modality: kind,
      variants,
      input: { name: io.name, shape: io.shape, dtype: io.dtype, ...(shared ? { repeatTime: 2 } : {}) },
      output: { name: ENCODER_OUTPUT, dim: shared ? video!.output.dim : outDim },
      postprocess: await postprocessFor(kind, w),
    };
    encoders[kind] = part;
  }
  // Every tensor of a converted encoder must have reached a graph (or the postprocess): a key left
  // over means a parameter the graphs silently drop.
  const trunks = new Set(kinds.map((k) => TRUNK_OF[k]));
  const unused = src.list().map((t) => t.name).filter((n) => trunks.has(n.split('.')[1] as never) && !w.used.has(n));
  if (unused.length) {
    throw new PandaError('CONVERT_FAILED', `The ImageBind checkpoint has tensors this converter does not use: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ` (+${unused.length - 5})` : ''}. Is it a different ImageBind variant?`, { unused });
  }
  const section: ImageBindSection = { outDim, encoders };
  const bpe = opts.bpe ?? join(dirname(opts.checkpoint), 'bpe_simple_vocab_16e6.txt.gz');
  if (encoders.text && existsSync(bpe)) {
    await copyFile(bpe, join(opts.outDir, BPE_FILE));
    section.textBpe = BPE_FILE;
  }
  return { section };
}
