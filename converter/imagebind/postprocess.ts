/**
 * The postprocessor each encoder's raw head output gets in the engine (spec §2.2–2.4, §2.3):
 * what PandaGPT feeds into llama_proj for image/video/audio/thermal, the full upstream one for
 * depth/IMU (unused by PandaGPT) and text (zero-shot tags).
 */
import type { EncoderPart } from '../../src/core/manifest';
import type { EncoderKind } from './encoders';
import type { Weights } from './weights';

/** LearnableLogitScaling: min(exp(log_logit_scale), 100), evaluated in float32 like torch. */
async function logitScale(w: Weights, name: 'text' | 'audio' | 'depth' | 'thermal' | 'imu'): Promise<number> {
  const key = `modality_postprocessors.${name}.1.log_logit_scale`;
  await w.preload(key);
  const v = w.get(key, [])[0]!;
  return Math.min(Math.fround(Math.exp(v)), 100);
}

export async function postprocessFor(kind: EncoderKind, w: Weights): Promise<EncoderPart['postprocess']> {
  switch (kind) {
    case 'image':
      return { normalize: true, scale: 1, clipMean: false };
    case 'video':
      return { normalize: true, scale: 1, clipMean: true };
    case 'audio':
      // PandaGPT's vendored ImageBind applies only Normalize for audio: the stored ×20 is read
      // (so the converter's unused-key check passes) and deliberately not applied (§2.4).
      await logitScale(w, 'audio');
      return { normalize: true, scale: 1, clipMean: true };
    case 'thermal':
    case 'depth':
    case 'imu':
    case 'text':
      return { normalize: true, scale: await logitScale(w, kind), clipMean: false };
  }
}
