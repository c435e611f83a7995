/** Public types of the ImageBind encoder engine (implementation: ./imagebind-engine.ts). */
import type { Modality } from '../manifest';

/**
 * A preprocessed input, exactly as ImageBind's encoder takes it for one item, clips leading:
 * image (1,3,224,224); video (15,3,2,224,224); audio (3,1,128,204); thermal (1,1,224,224);
 * depth (1,1,224,224); imu (1,6,2000).
 */
export interface PreprocessedInput {
  modality: Modality;
  data: Float32Array;
  dims: number[];
}

export interface ZeroShotTag {
  label: string;
  score: number;
}
