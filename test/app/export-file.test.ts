import { describe, expect, it } from 'vitest';
import { exportConversations, parseExport, withFreshIds } from '../../src/app/persistence/export-file';
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

describe('import of malformed or foreign files: all or nothing, with the reason', () => {
  const good = async (): Promise<Record<string, unknown>> => JSON.parse(await exportConversations([conv], async () => undefined)) as Record<string, unknown>;
  const damaged: [string, (f: { conversations: Record<string, unknown>[] }) => void, RegExp][] = [
    ['a conversation without an id', (f) => delete f.conversations[0]!.id, /conversation 1 has no id/],
    ['messages that are not a list', (f) => (f.conversations[0]!.messages = 'hello'), /conversation 1 has no message list/],
    ['a message with an unknown role', (f) => ((f.conversations[0]!.messages as Record<string, unknown>[])[1]!.role = 'system'), /message 2 of conversation 1 has an unknown role/],
    ['a message whose text is not text', (f) => ((f.conversations[0]!.messages as Record<string, unknown>[])[0]!.text = { html: '<b>' }), /message 1 of conversation 1 has no text/],
    ['an attachment with an unknown modality', (f) => ((f.conversations[0]!.attachments as Record<string, unknown>[])[0]!.modality = 'smell'), /attachment 1 of conversation 1 has an unknown modality/],
    ['a vector with strings in it', (f) => ((f.conversations[0]!.attachments as Record<string, unknown>[])[0]!.vector = ['x']), /malformed vector/],
    ['file data that is not base64', (f) => ((f.conversations[0]!.attachments as Record<string, unknown>[])[0]!.data = '%%%'), /malformed file data/],
    ['a conversation that is a string', (f) => (f.conversations[1] = 'oops' as never), /conversation 2 is not a conversation/],
  ];
  for (const [what, damage, reason] of damaged) {
    it(`rejects ${what}`, async () => {
      const f = (await good()) as unknown as { conversations: Record<string, unknown>[] };
      f.conversations.push(structuredClone(f.conversations[0]!));
      damage(f);
      expect(() => parseExport(JSON.stringify(f))).toThrow(expect.objectContaining({ code: 'MEDIA_CORRUPT', message: expect.stringMatching(reason) }));
      expect(() => parseExport(JSON.stringify(f))).toThrow(/Nothing was imported/);
    });
  }

  it('names a newer format version instead of misreading it', async () => {
    const f = await good();
    f.version = 2;
    expect(() => parseExport(JSON.stringify(f))).toThrow(/version 2.*reads version 1/);
    expect(() => parseExport('[]')).toThrow(expect.objectContaining({ code: 'MEDIA_UNSUPPORTED' }));
    expect(() => parseExport('null')).toThrow(expect.objectContaining({ code: 'MEDIA_UNSUPPORTED' }));
  });

  it('never replaces what is here: clashing ids get fresh ones, media references follow', async () => {
    const [item] = parseExport(await exportConversations([conv], async () => new Blob([new Uint8Array([7])])));
    let n = 0;
    const fresh = (prefix: string): string => `${prefix}-new${n++}`;
    expect(withFreshIds(item!, () => false, fresh)).toBe(item); // nothing taken: ids kept
    const moved = withFreshIds(item!, (id) => id === 'a1', fresh); // only a media id is taken
    expect(moved.conversation.id).not.toBe('c1');
    expect(moved.conversation.attachments[0]!.id).not.toBe('a1');
    expect(moved.conversation.messages[0]!.media![0]!.id).toBe(moved.conversation.attachments[0]!.id);
    expect(moved.media[0]!.id).toBe(moved.conversation.attachments[0]!.id);
    expect(moved.conversation.rev).toBeUndefined();
  });
});
