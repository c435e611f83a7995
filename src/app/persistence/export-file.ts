/**
 * Export/import of conversations as one JSON file, media inlined as base64 (a backup the user
 * can move to another browser). Vectors are kept, so imported media need no re-encoding.
 */
import { PandaError } from '../../core/errors';
import { MODALITIES } from '../../core/manifest';
import type { Attachment, Conversation, Message } from '../store/types';

export const EXPORT_FORMAT = 'pandagpt-conversations';

interface ExportedAttachment extends Omit<Attachment, 'vector'> {
  vector?: number[];
  data?: string;
}
interface ExportedConversation extends Omit<Conversation, 'attachments'> {
  attachments: ExportedAttachment[];
}
export interface ExportFile {
  format: typeof EXPORT_FORMAT;
  version: 1;
  conversations: ExportedConversation[];
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export async function exportConversations(list: Conversation[], media: (id: string) => Promise<Blob | undefined>): Promise<string> {
  const conversations: ExportedConversation[] = [];
  for (const c of list) {
    const attachments: ExportedAttachment[] = [];
    for (const a of c.attachments) {
      const blob = await media(a.id);
      attachments.push({ ...a, vector: a.vector ? Array.from(a.vector) : undefined, data: blob ? toBase64(new Uint8Array(await blob.arrayBuffer())) : undefined });
    }
    conversations.push({ ...c, attachments });
  }
  const file: ExportFile = { format: EXPORT_FORMAT, version: 1, conversations };
  return JSON.stringify(file);
}

export interface ImportedConversation {
  conversation: Conversation;
  media: { id: string; blob: Blob }[];
}

/** A description of what is wrong with one part of an export, for the user. */
class Invalid extends Error {}

const MODALITY_SET: ReadonlySet<string> = new Set(MODALITIES);
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function need(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Invalid(what);
}

function checkMessage(m: unknown, where: string): Message {
  need(isObj(m), `${where} is not a message`);
  need(isStr(m.id) && m.id.length > 0, `${where} has no id`);
  need(m.role === 'user' || m.role === 'assistant', `${where} has an unknown role`);
  need(isStr(m.text), `${where} has no text`);
  need(m.status === undefined || ['done', 'stopped', 'error', 'streaming'].includes(m.status as string), `${where} has an unknown status`);
  if (m.media !== undefined) {
    need(Array.isArray(m.media) && m.media.every((x) => isObj(x) && isStr(x.id) && isNum(x.weight) && MODALITY_SET.has(x.modality as string)), `${where} has malformed media`);
  }
  const status = m.status === 'streaming' ? 'stopped' : (m.status as Message['status']);
  return { ...(m as unknown as Message), status };
}

function checkAttachment(a: unknown, where: string): { attachment: Attachment; media?: Blob } {
  need(isObj(a), `${where} is not an attachment`);
  need(isStr(a.id) && a.id.length > 0, `${where} has no id`);
  need(MODALITY_SET.has(a.modality as string), `${where} has an unknown modality`);
  need(a.vector === undefined || (Array.isArray(a.vector) && a.vector.every(isNum)), `${where} has a malformed vector`);
  need(a.data === undefined || (isStr(a.data) && /^[A-Za-z0-9+/]*={0,2}$/.test(a.data)), `${where} has malformed file data`);
  const { data, vector, ...rest } = a as unknown as ExportedAttachment;
  const mime = isStr(rest.mime) ? rest.mime : '';
  const attachment: Attachment = {
    ...rest,
    fileName: isStr(rest.fileName) ? rest.fileName : 'file',
    mime,
    size: isNum(rest.size) ? rest.size : 0,
    detected: MODALITY_SET.has(rest.detected) ? rest.detected : rest.modality,
    weight: isNum(rest.weight) ? rest.weight : 1,
    vector: vector ? Float32Array.from(vector) : undefined,
    status: vector ? 'ready' : 'error',
    ...(vector ? {} : { error: 'No embedding in the export: attach the file again.' }),
  };
  return { attachment, media: data ? new Blob([fromBase64(data) as BlobPart], { type: mime }) : undefined };
}

function checkConversation(c: unknown, n: number): ImportedConversation {
  const where = `conversation ${n + 1}`;
  need(isObj(c), `${where} is not a conversation`);
  need(isStr(c.id) && c.id.length > 0, `${where} has no id`);
  need(Array.isArray(c.messages), `${where} has no message list`);
  need(c.attachments === undefined || Array.isArray(c.attachments), `${where} has a malformed attachment list`);
  const messages = c.messages.map((m, i) => checkMessage(m, `message ${i + 1} of ${where}`));
  const media: ImportedConversation['media'] = [];
  const attachments = ((c.attachments as unknown[] | undefined) ?? []).map((a, i) => {
    const r = checkAttachment(a, `attachment ${i + 1} of ${where}`);
    if (r.media) media.push({ id: r.attachment.id, blob: r.media });
    return r.attachment;
  });
  const now = Date.now();
  const conversation: Conversation = {
    id: c.id,
    title: isStr(c.title) && c.title.trim() ? c.title : 'Imported chat',
    createdAt: isNum(c.createdAt) ? c.createdAt : now,
    updatedAt: isNum(c.updatedAt) ? c.updatedAt : now,
    messages,
    attachments,
  };
  return { conversation, media };
}

/**
 * Reads an export. All or nothing: anything malformed rejects the whole file with a message that
 * says what is wrong, before anything is stored.
 */
export function parseExport(text: string): ImportedConversation[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PandaError('MEDIA_CORRUPT', 'This file is not a conversation export (it is not JSON). Choose a file saved with "Export". Nothing was imported.');
  }
  if (!isObj(raw) || raw.format !== EXPORT_FORMAT || !Array.isArray(raw.conversations)) {
    throw new PandaError('MEDIA_UNSUPPORTED', 'This file is not a PandaGPT conversation export. Choose a file saved with "Export". Nothing was imported.');
  }
  if (raw.version !== 1) {
    throw new PandaError('MEDIA_UNSUPPORTED', `This export has format version ${String(raw.version)}; this app reads version 1. Update the app (reload) and try again. Nothing was imported.`);
  }
  try {
    return raw.conversations.map((c, i) => checkConversation(c, i));
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    throw new PandaError('MEDIA_CORRUPT', `This export is damaged: ${e.message}. Nothing was imported.`);
  }
}

/**
 * Gives an imported conversation new ids where they are taken, so an import never replaces a
 * conversation or a stored file that is already here (importing the same file twice makes copies).
 */
export function withFreshIds(item: ImportedConversation, taken: (id: string) => boolean, newId: (prefix: string) => string): ImportedConversation {
  const { conversation: c } = item;
  const clash = taken(c.id) || c.attachments.some((a) => taken(a.id));
  if (!clash) return item;
  const ids = new Map(c.attachments.map((a) => [a.id, newId('media')]));
  const remap = (id: string): string => ids.get(id) ?? id;
  return {
    conversation: {
      ...c,
      id: newId('conv'),
      title: `${c.title} (imported)`,
      attachments: c.attachments.map((a) => ({ ...a, id: remap(a.id) })),
      messages: c.messages.map((m) => (m.media ? { ...m, media: m.media.map((x) => ({ ...x, id: remap(x.id) })) } : m)),
    },
    media: item.media.map((m) => ({ ...m, id: remap(m.id) })),
  };
}
