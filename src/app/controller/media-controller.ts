/**
 * Attachments: add (file picker, drop, paste, mic, webcam), re-label, weight, remove. Every
 * failure becomes a toast; the chip is dropped and the conversation is left as it was.
 */
import { PandaError } from '../../core/errors';
import type { Modality } from '../../core/manifest';
import { detectFileModality, prepareAttachment } from '../media/ingest';
import genericLabels from '../../core/zero-shot-labels.json';
import { deleteMedia, isQuotaError, loadMedia, saveMedia } from '../persistence/conversations-db';
import { useApp } from '../store';
import { newId } from '../store/ids';
import type { Attachment } from '../store/types';
import { persistSoon } from './persist';
import { encoderBridge } from './services';

function toPandaError(e: unknown): PandaError {
  return e instanceof PandaError ? e : new PandaError('INTERNAL', e instanceof Error ? e.message : String(e));
}

function fail(e: unknown, fileName: string): void {
  const err = toPandaError(e);
  const msg = err.message.includes(fileName) ? err.message : `"${fileName}": ${err.message}`;
  useApp.getState().pushToast({ kind: 'error', message: msg, code: err.code });
}

/** The labels zero-shot tags are scored against: the bundle's own, else a generic everyday set. */
function zeroShotLabels(): string[] {
  return useApp.getState().model.labels ?? genericLabels;
}

/** A first guess from the name and type, shown until the file's bytes are read. */
function guessModality(file: File): Modality {
  const t = file.type.split('/')[0];
  if (t === 'audio' || t === 'video') return t;
  if (/\.(csv|txt|npy)$/i.test(file.name)) return 'imu';
  return 'image';
}

/**
 * A capture (microphone, webcam) is recording or finishing: a message sent meanwhile waits for its
 * file. Call the returned function once the file was handed to `addFiles` (or the capture ended
 * without one); calling it again does nothing.
 */
export function beginCapture(): () => void {
  useApp.getState().addCapturing(1);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    useApp.getState().addCapturing(-1);
  };
}

async function encodeInto(cid: string, a: Attachment, blob: Blob): Promise<void> {
  const { input, preview } = await prepareAttachment(blob, a.fileName, a.mime, a.modality);
  useApp.getState().patchAttachment(cid, a.id, { preview });
  const res = await encoderBridge().encode(input);
  // Sendable now; the tags follow (they are a hint for the user, never needed to send).
  useApp.getState().patchAttachment(cid, a.id, { vector: res.vector, tags: undefined, status: 'ready', error: undefined });
  persistSoon(cid);
  void encoderBridge()
    .tags(res.vector, zeroShotLabels())
    .then(
      (tags) => {
        const now = useApp.getState().chat.conversations[cid]?.attachments.find((x) => x.id === a.id);
        if (now?.vector === res.vector) {
          useApp.getState().patchAttachment(cid, a.id, { tags });
          persistSoon(cid);
        }
      },
      () => undefined, // no tags: the chip simply shows none
    );
}

export async function addFiles(files: File[]): Promise<void> {
  const st = useApp.getState();
  if (st.model.state === 'ready' && !st.model.hasEncoder) {
    st.pushToast({ kind: 'error', message: 'This model has no media encoders, so it can only chat in text. Load a bundle converted with ImageBind to attach media.', code: 'MEDIA_UNSUPPORTED' });
    return;
  }
  if (!st.model.encoderReady) {
    st.pushToast({ kind: 'error', message: 'The media encoder is not ready yet. Wait for the model to finish loading, then attach again.', code: 'MODEL_NOT_LOADED' });
    return;
  }
  await Promise.all(files.map((f) => addFile(f)));
}

/**
 * Registers the chip at once (before any await), so a message sent right after attaching waits for
 * this file instead of going out without it; then detects, stores and encodes it.
 */
async function addFile(file: File): Promise<void> {
  const st = useApp.getState();
  const cid = st.chat.activeId ?? st.newConversation();
  const fileName = file.name || 'pasted file';
  const guess = guessModality(file);
  const a: Attachment = { id: newId('media'), fileName, mime: file.type, size: file.size, modality: guess, detected: guess, weight: 1, status: 'encoding' };
  st.patchConversation(cid, (c) => ({ ...c, attachments: [...c.attachments, a] }));
  try {
    const modality = await detectFileModality(file);
    useApp.getState().patchAttachment(cid, a.id, { modality, detected: modality });
    await saveMedia(a.id, file).catch((e: unknown) => {
      if (!isQuotaError(e)) throw e;
      // No room to keep the original: the chip still works now, but cannot be re-read after a reload.
      useApp.getState().pushToast({ kind: 'info', message: `"${fileName}" is used for this session only: the browser has no room left to store it.`, code: 'QUOTA_EXCEEDED' });
    });
    await encodeInto(cid, { ...a, modality, detected: modality }, file);
  } catch (e) {
    const err = toPandaError(e);
    // Seen by a message waiting for this file (it goes back to the composer with this reason), then dropped.
    useApp.getState().patchAttachment(cid, a.id, { status: 'error', error: err.message });
    useApp.getState().patchConversation(cid, (c) => ({ ...c, attachments: c.attachments.filter((x) => x.id !== a.id) }));
    void deleteMedia(a.id);
    fail(err, fileName);
  }
}

/** Treat an image as thermal or depth (or back): re-encodes with the other encoder. */
export async function relabel(cid: string, aid: string, modality: Modality): Promise<void> {
  const a = useApp.getState().chat.conversations[cid]?.attachments.find((x) => x.id === aid);
  if (!a || a.modality === modality) return;
  const previous = a.modality;
  useApp.getState().patchAttachment(cid, aid, { modality, status: 'encoding', vector: undefined, tags: undefined });
  try {
    const blob = await loadMedia(aid);
    if (!blob) throw new PandaError('BUNDLE_FILE_MISSING', 'The original file is no longer stored; attach it again.');
    await encodeInto(cid, { ...a, modality }, blob);
  } catch (e) {
    useApp.getState().patchAttachment(cid, aid, { modality: previous, status: a.vector ? 'ready' : 'error', vector: a.vector, tags: a.tags });
    fail(e, a.fileName);
  }
}

export function setWeight(cid: string, aid: string, weight: number): void {
  useApp.getState().patchAttachment(cid, aid, { weight });
  persistSoon(cid);
}

/** Takes the media off the composer; kept (hidden) for earlier turns that used it. */
export function removeAttachment(cid: string, aid: string): void {
  const c = useApp.getState().chat.conversations[cid];
  if (!c) return;
  const used = c.messages.some((m) => m.media?.some((x) => x.id === aid));
  if (used) {
    useApp.getState().patchAttachment(cid, aid, { removed: true });
  } else {
    useApp.getState().patchConversation(cid, (x) => ({ ...x, attachments: x.attachments.filter((y) => y.id !== aid) }));
    void deleteMedia(aid);
  }
  persistSoon(cid);
}
