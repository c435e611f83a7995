import { describe, expect, it } from 'vitest';
import { exportConversations, parseExport } from '../../src/app/persistence/export-file';
import type { Conversation } from '../../src/app/store/types';

const conv: Conversation = {
  id: 'c1', title: '<img src=x onerror=alert(1)>', createdAt: 1, updatedAt: 2,
  messages: [{ id: 'm1', role: 'user', text: 'hi', media: [{ id: 'a1', weight: 1, modality: 'image' }] }, { id: 'm2', role: 'assistant', text: 'partial', status: 'streaming' }],
  attachments: [{ id: 'a1', fileName: 'dog.jpg', mime: 'image/jpeg', size: 3, modality: 'image', detected: 'image', weight: 1, status: 'ready', vector: new Float32Array([0.5, -0.25]) }],
};

describe('conversation export/import', () => {
  it('round-trips conversations, vectors and media bytes', async () => {
    const text = await exportConversations([conv], async () => new Blob([new Uint8Array([1, 2, 255])]));
    const [back] = parseExport(text);
    expect(back!.conversation.title).toBe(conv.title);
    expect(back!.conversation.attachments[0]!.vector).toEqual(new Float32Array([0.5, -0.25]));
    expect(back!.conversation.messages[1]!.status).toBe('stopped'); // a half-streamed answer is not "streaming" after import
    expect(new Uint8Array(await back!.media[0]!.blob.arrayBuffer())).toEqual(new Uint8Array([1, 2, 255]));
  });

  it('rejects files that are not exports with a typed error', () => {
    expect(() => parseExport('not json')).toThrow(expect.objectContaining({ code: 'MEDIA_CORRUPT' }));
    expect(() => parseExport('{"format":"other"}')).toThrow(expect.objectContaining({ code: 'MEDIA_UNSUPPORTED' }));
  });
});
