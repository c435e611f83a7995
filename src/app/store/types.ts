/** The app's data model: conversations, their media and messages. Plain data, IndexedDB-safe. */
import type { ZeroShotTag } from '../../core/encoders/types';
import type { Modality } from '../../core/manifest';

export type AttachmentPreview =
  | { kind: 'image' }
  | { kind: 'video'; poster?: string }
  | { kind: 'waveform'; peaks: number[]; seconds: number }
  | { kind: 'imu'; series: number[][] };

export interface Attachment {
  id: string;
  fileName: string;
  mime: string;
  size: number;
  /** What the encoder treats it as (the user may re-label an image as thermal or depth). */
  modality: Modality;
  /** What detection said. */
  detected: Modality;
  /** Multimodal arithmetic weight; 1 = PandaGPT's plain sum. */
  weight: number;
  status: 'encoding' | 'ready' | 'error';
  /** ImageBind embedding (outDim) once encoded. */
  vector?: Float32Array;
  tags?: ZeroShotTag[];
  error?: string;
  preview?: AttachmentPreview;
  /** Taken off the composer; kept so earlier turns that used it can still be regenerated. */
  removed?: boolean;
}

export interface MessageStats {
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  generatedTokens: number;
}

export interface Message {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  /** User turns: the media set in effect (attachment id and weight), for media-token segmentation. */
  media?: { id: string; weight: number; modality: Modality }[];
  status?: 'streaming' | 'done' | 'stopped' | 'error';
  error?: string;
  stats?: MessageStats;
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messages: Message[];
  /** The conversation's current media (shown as chips, sent with every turn). */
  attachments: Attachment[];
  /**
   * The stored revision this copy is based on (bumped by every save). A save whose base is not the
   * stored revision would overwrite another tab's messages: it is detected and both are kept.
   */
  rev?: number;
}
