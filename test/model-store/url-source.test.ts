import { describe, expect, it } from 'vitest';
import { PandaError } from '../../src/core/errors';
import { checkQuota, formatBytes } from '../../src/model-store/quota';
import { contentRangeStart, normalizeBaseUrl } from '../../src/model-store/url-source';

describe('url source helpers', () => {
  it('normalizes base URLs relative to the page', () => {
    expect(normalizeBaseUrl('/models/builtin', 'http://x.test/app/')).toBe('http://x.test/models/builtin/');
    expect(normalizeBaseUrl('https://h.test/b/manifest.json?x=1#y', 'http://x.test/')).toBe('https://h.test/b/');
    expect(normalizeBaseUrl('m/', 'http://x.test/app/index.html')).toBe('http://x.test/app/m/');
  });
  it('parses Content-Range', () => {
    expect(contentRangeStart('bytes 100-199/1000')).toBe(100);
    expect(contentRangeStart('bytes 0-9/*')).toBe(0);
    expect(contentRangeStart('bytes */1000')).toBeNull();
    expect(contentRangeStart(null)).toBeNull();
  });
});

describe('quota check', () => {
  it('passes when it fits or is unknown, else says needed vs free', () => {
    expect(() => checkQuota(100, 100, 'x')).not.toThrow();
    expect(() => checkQuota(100, null, 'x')).not.toThrow();
    try {
      checkQuota(5 * 1024 * 1024, 1024 * 1024, 'tiny');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PandaError);
      expect((e as PandaError).code).toBe('QUOTA_EXCEEDED');
      expect((e as PandaError).message).toContain('5.0 MiB');
      expect((e as PandaError).message).toContain('1.0 MiB');
      expect((e as PandaError).details).toMatchObject({ neededBytes: 5 * 1024 * 1024, freeBytes: 1024 * 1024 });
    }
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
