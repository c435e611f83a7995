import { describe, expect, it } from 'vitest';
import { buildRequest, historyFor, mediaKey, snapshotMedia } from '../../src/app/chat/build-request';
import type { Attachment, Message } from '../../src/app/store/types';

const att = (id: string, over: Partial<Attachment> = {}): Attachment => ({
  id, fileName: `${id}.jpg`, mime: 'image/jpeg', size: 1, modality: 'image', detected: 'image', weight: 1, status: 'ready', vector: new Float32Array([1, 2]), ...over,
});
const u = (text: string, media: Message['media']): Message => ({ id: `u-${text}`, role: 'user', text, media });
const a = (text: string): Message => ({ id: `a-${text}`, role: 'assistant', text, status: 'done' });
const dog = [{ id: 'dog', weight: 1, modality: 'image' as const }];
const cat = [{ id: 'cat', weight: 1, modality: 'image' as const }];

describe('media segmentation', () => {
  it('keeps history while the media set is unchanged', () => {
    const msgs = [u('q1', dog), a('a1'), u('q2', dog), a('a2'), u('q3', dog)];
    expect(historyFor(msgs, 4)).toEqual([{ user: 'q1', assistant: 'a1' }, { user: 'q2', assistant: 'a2' }]);
  });

  it('starts a fresh history (a fresh media token) when the media change', () => {
    const msgs = [u('q1', dog), a('a1'), u('q2', cat), a('a2'), u('q3', cat)];
    expect(historyFor(msgs, 4)).toEqual([{ user: 'q2', assistant: 'a2' }]);
    const back = [u('q1', dog), a('a1'), u('q2', cat), a('a2'), u('q3', dog)];
    expect(historyFor(back, 4)).toEqual([]);
  });

  it('treats a weight change as a media change', () => {
    expect(mediaKey(dog)).not.toBe(mediaKey([{ ...dog[0]!, weight: 0.5 }]));
    expect(mediaKey([...dog, ...cat])).toBe(mediaKey([...cat, ...dog]));
  });

  it('snapshots only ready, non-removed attachments', () => {
    const list = [att('a'), att('b', { status: 'encoding' }), att('c', { removed: true }), att('d', { weight: 0.5, modality: 'thermal' })];
    expect(snapshotMedia(list)).toEqual([{ id: 'a', weight: 1, modality: 'image' }, { id: 'd', weight: 0.5, modality: 'thermal' }]);
  });

  it('builds the engine request with weighted vectors', () => {
    const msgs = [u('what is this?', [{ id: 'x', weight: 0.5, modality: 'thermal' }])];
    const params = { maxNewTokens: 8, temperature: 1, topP: 0.01, topK: 50 };
    const req = buildRequest(msgs, 0, [att('x', { modality: 'thermal' })], params);
    expect(req.prompt).toBe('what is this?');
    expect(req.history).toEqual([]);
    expect(req.media).toHaveLength(1);
    expect(req.media![0]!.weight).toBe(0.5);
    expect(req.media![0]!.modality).toBe('thermal');
    expect(Array.from(req.media![0]!.vector)).toEqual([1, 2]);
    expect(buildRequest([u('hi', [])], 0, [], params).media).toBeUndefined();
    expect(() => buildRequest([a('x')], 0, [], params)).toThrow();
  });
});
