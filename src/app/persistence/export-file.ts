/**
 * Export/import of conversations as one JSON file, media inlined as base64 (a backup the user
 * can move to another browser). Vectors are kept, so imported media need no re-encoding.
 */
import { PandaError } from '../../core/errors';
import type { Attachment, Conversation } from '../store/types';

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

export function parseExport(text: string): ImportedConversation[] {
  let raw: ExportFile;
  try {
    raw = JSON.parse(text) as ExportFile;
  } catch {
    throw new PandaError('MEDIA_CORRUPT', 'This file is not a conversation export (it is not JSON). Choose a file saved with "Export".');
  }
  if (raw?.format !== EXPORT_FORMAT || !Array.isArray(raw.conversations)) {
    throw new PandaError('MEDIA_UNSUPPORTED', 'This file is not a PandaGPT conversation export. Choose a file saved with "Export".');
  }
  return raw.conversations.map((c) => {
    const media: ImportedConversation['media'] = [];
    const attachments: Attachment[] = (c.attachments ?? []).map(({ data, vector, ...a }) => {
      if (data) media.push({ id: a.id, blob: new Blob([fromBase64(data) as BlobPart], { type: a.mime }) });
      return { ...a, vector: vector ? Float32Array.from(vector) : undefined, status: vector ? 'ready' : 'error' };
    });
    const messages = (c.messages ?? []).map((m) => ({ ...m, text: String(m.text ?? ''), status: m.status === 'streaming' ? ('stopped' as const) : m.status }));
    return { conversation: { ...c, title: String(c.title ?? 'Imported chat'), messages, attachments }, media };
  });
}
