/**
 * Turns a conversation into the engine's request for one user turn. PandaGPT puts one media token
 * in the first human turn; when the user changes the media mid-conversation the prompt starts over
 * with a fresh media token (earlier turns, about other media, are not sent as history).
 */
import type { ChatTurn, GenerateRequest, MediaEmbedding, SamplingParams } from '../../core/engine/types';
import type { Attachment, Message } from '../store/types';

export function mediaKey(media: Message['media']): string {
  return (media ?? []).map((m) => `${m.id}:${m.modality}:${m.weight}`).sort().join('|');
}

export function snapshotMedia(attachments: Attachment[]): NonNullable<Message['media']> {
  return attachments.filter((a) => a.status === 'ready' && !a.removed).map((a) => ({ id: a.id, weight: a.weight, modality: a.modality }));
}

/** History = the finished turns before `userIndex` that used the same media set. */
export function historyFor(messages: Message[], userIndex: number): ChatTurn[] {
  const key = mediaKey(messages[userIndex]!.media);
  const turns: ChatTurn[] = [];
  for (let i = 0; i + 1 < userIndex; i += 2) {
    const u = messages[i]!;
    const a = messages[i + 1]!;
    if (u.role !== 'user' || a.role !== 'assistant') continue;
    if (mediaKey(u.media) !== key) {
      turns.length = 0; // media changed after this: a fresh media token, a fresh history
      continue;
    }
    turns.push({ user: u.text, assistant: a.text });
  }
  return turns;
}

export function buildRequest(messages: Message[], userIndex: number, attachments: Attachment[], params: SamplingParams): GenerateRequest {
  const user = messages[userIndex];
  if (!user || user.role !== 'user') throw new Error(`message ${userIndex} is not a user turn`);
  const byId = new Map(attachments.map((a) => [a.id, a]));
  const media: MediaEmbedding[] = [];
  for (const m of user.media ?? []) {
    const a = byId.get(m.id);
    if (a?.vector) media.push({ modality: m.modality, vector: a.vector, weight: m.weight });
  }
  return { prompt: user.text, history: historyFor(messages, userIndex), media: media.length ? media : undefined, params };
}
