/**
 * Typed, actionable errors. Every failure the user can cause has a literal `code` and a message
 * that says what went wrong *and* what to do next. They survive the worker boundary through
 * `toErrorPayload` / `fromErrorPayload` (Comlink alone would keep only name/message/stack).
 */
export type ErrorCode =
  // checkpoints and conversion
  | 'CHECKPOINT_TRUNCATED'
  | 'CHECKPOINT_FORMAT'
  | 'CHECKPOINT_MISSING_SHARD'
  | 'CHECKPOINT_MISSING_TENSOR'
  | 'CHECKPOINT_SHAPE_MISMATCH'
  | 'PICKLE_DISALLOWED_GLOBAL'
  | 'UNSUPPORTED_DTYPE'
  | 'CONVERT_FAILED'
  // bundle / manifest / model store
  | 'MANIFEST_INVALID'
  | 'BUNDLE_FILE_MISSING'
  | 'INTEGRITY_MISMATCH'
  | 'DOWNLOAD_FAILED'
  | 'QUOTA_EXCEEDED'
  | 'MODEL_NOT_LOADED'
  | 'TOKENIZER_INVALID'
  // media
  | 'MEDIA_UNSUPPORTED'
  | 'MEDIA_CORRUPT'
  | 'MEDIA_EMPTY'
  | 'MEDIA_TOO_LARGE'
  | 'MEDIA_NO_VIDEO_TRACK'
  | 'MEDIA_BAD_SHAPE'
  | 'FFMPEG_MISSING'
  // runtime
  | 'BACKEND_UNAVAILABLE'
  | 'GPU_DEVICE_LOST'
  | 'CONTEXT_TOO_LONG'
  | 'ABORTED'
  | 'INTERNAL';

export class PandaError extends Error {
  override readonly name = 'PandaError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Optional structured detail (file, tensor, sizes...) for UIs and tests. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ErrorPayload {
  name: string;
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
  stack?: string;
}

export function isPandaError(e: unknown): e is PandaError {
  return e instanceof PandaError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'PandaError' && typeof (e as { code?: unknown }).code === 'string');
}

export function toErrorPayload(e: unknown): ErrorPayload {
  if (isPandaError(e)) {
    return { name: 'PandaError', code: e.code, message: e.message, details: e.details ?? {}, stack: e.stack };
  }
  if (e instanceof DOMException && e.name === 'AbortError') {
    return { name: 'PandaError', code: 'ABORTED', message: 'Stopped.', details: {} };
  }
  if (e instanceof Error) {
    return { name: 'PandaError', code: 'INTERNAL', message: e.message, details: { originalName: e.name }, stack: e.stack };
  }
  return { name: 'PandaError', code: 'INTERNAL', message: String(e), details: {} };
}

export function fromErrorPayload(p: ErrorPayload): PandaError {
  const err = new PandaError(p.code, p.message, p.details);
  if (p.stack) err.stack = p.stack;
  return err;
}

export function abortError(): PandaError {
  return new PandaError('ABORTED', 'Stopped.');
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}
