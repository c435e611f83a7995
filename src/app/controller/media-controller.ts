/**
 * Attachments: add (file picker, drop, paste, mic, webcam), re-label, weight, remove. Every
 * failure becomes a toast; the chip is dropped and the conversation is left as it was.
 */
import { PandaError } from '../../core/errors';
import type { Modality } from '../../core/manifest';
import { detectFileModality, prepareAttachment } from '../media/ingest';
import labels from '../media/zero-shot-labels.json';
import { deleteMedia, loadMedia, saveMedia } from '../persistence/conversations-db';
import { useApp } from '../store';
import { newId } from '../store/ids';
import type { Attachment } from '../store/types';
import { persistSoon } from './persist';
import { encoderBridge } from './services';

function fail(e: unknown, fileName: string): void {
  const err = e instanceof PandaError ? e : new PandaError('INTERNAL', e instanceof Error ? e.message : String(e));
  const msg = err.message.includes(fileName) ? err.message : `"${fileName}": ${err.message}`;
  useApp.getState().pushToast({ kind: 'error', message: msg, code: err.code });
}

async function encodeInto(cid: string, a: Attachment, blob: Blob): Promise<void> {
  const { input, preview } = await prepareAttachment(blob, a.fileName, a.mime, a.modality);
  useApp.getState().patchAttachment(cid, a.id, { preview });
  const res = await encoderBridge().encode(input, labels);
  useApp.getState().patchAttachment(cid, a.id, { vector: res.vector, tags: res.tags, status: 'ready', error: undefined });
  persistSoon(cid);
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

async function addFile(file: File): Promise<void> {
  let cid: string | undefined;
  let id: string | undefined;
  try {
    const modality = await detectFileModality(file);
    const st = useApp.getState();
    cid = st.chat.activeId ?? st.newConversation();
    const a: Attachment = { id: newId('media'), fileName: file.name || 'pasted file', mime: file.type, size: file.size, modality, detected: modality, weight: 1, status: 'encoding' };
    id = a.id;
    st.patchConversation(cid, (c) => ({ ...c, attachments: [...c.attachments, a] }));
    await saveMedia(a.id, file);
    await encodeInto(cid, a, file);
  } catch (e) {
    if (cid && id) {
      const aid = id;
      useApp.getState().patchConversation(cid, (c) => ({ ...c, attachments: c.attachments.filter((x) => x.id !== aid) }));
      void deleteMedia(aid);
    }
    fail(e, file.name || 'pasted file');
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
