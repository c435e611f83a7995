import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectModality } from '../../src/preprocess/index';
import { fixturePath } from './fixtures';

const head = (rel: string): Uint8Array => readFileSync(fixturePath(rel)).subarray(0, 64);

describe('detectModality', () => {
  it('fixture media by magic bytes (names do not decide the container)', () => {
    expect(detectModality(head('media/images/dog_image.jpg'), 'x.bin')).toEqual({ modality: 'image', container: 'jpeg' });
    expect(detectModality(head('media/thermals/190662.jpg'), 'thermal/190662.jpg')).toEqual({ modality: 'thermal', container: 'jpeg' });
    expect(detectModality(head('media/depth/scene.png'), 'scene.png')).toEqual({ modality: 'depth', container: 'png' });
    expect(detectModality(head('media/audios/dog_audio.wav'), 'dog.mp3')).toEqual({ modality: 'audio', container: 'wav' });
    expect(detectModality(head('media/videos/a.mp4'), 'a.mp4')).toEqual({ modality: 'video', container: 'video' });
    expect(detectModality(head('media/imu/walk.csv'), 'walk.csv')).toEqual({ modality: 'imu', container: 'csv' });
  });
  it('compressed audio by MIME/extension; a .txt named .wav is corrupt; empty is empty', () => {
    expect(detectModality(new TextEncoder().encode('ID3\x04rest'), 'song.mp3').modality).toBe('audio');
    expect(detectModality(new TextEncoder().encode('OggS\x00'), 'voice.ogg')).toEqual({ modality: 'audio', container: 'compressed-audio' });
    expect(() => detectModality(new TextEncoder().encode('just some text'), 'notes.wav')).toThrow(expect.objectContaining({ code: 'MEDIA_CORRUPT' }));
    expect(() => detectModality(new Uint8Array(0), 'x.png')).toThrow(expect.objectContaining({ code: 'MEDIA_EMPTY' }));
    expect(() => detectModality(new TextEncoder().encode('???'), 'x.xyz')).toThrow(expect.objectContaining({ code: 'MEDIA_UNSUPPORTED' }));
  });
});
