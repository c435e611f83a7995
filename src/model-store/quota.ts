/** Storage checks before a download: free space versus what is missing, and persistence. */
import { PandaError } from '../core/errors';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const QUOTA_CHOICES = [
  'Delete a cached model you no longer need (Models panel → Delete).',
  'Free disk space on this device, then try again (the download resumes).',
  'Use a smaller bundle (e.g. a 4-bit one).',
];

/** Pure: throws QUOTA_EXCEEDED when `needed` bytes do not fit in `free` bytes (null = unknown: allowed). */
export function checkQuota(needed: number, free: number | null, label: string): void {
  if (free === null || needed <= free) return;
  throw new PandaError(
    'QUOTA_EXCEEDED',
    `Not enough browser storage for ${label}: it needs ${formatBytes(needed)} more but only ${formatBytes(free)} is free. ` + QUOTA_CHOICES.join(' '),
    { neededBytes: needed, freeBytes: free, choices: QUOTA_CHOICES },
  );
}

/** Free bytes from `navigator.storage.estimate()`, or null when the browser does not say. */
export async function freeBytes(): Promise<number | null> {
  const est = await globalThis.navigator?.storage?.estimate?.();
  if (!est || typeof est.quota !== 'number') return null;
  return Math.max(0, est.quota - (est.usage ?? 0));
}

/** Ask the browser not to evict our storage; null when unsupported. */
export async function requestPersist(): Promise<boolean | null> {
  const s = globalThis.navigator?.storage;
  if (!s?.persist) return null;
  try {
    return (await s.persisted?.()) || (await s.persist());
  } catch {
    // Some embedders throw instead of answering false; persistence is best-effort either way.
    return false;
  }
}

/** Map an IndexedDB QuotaExceededError to our error; anything else passes through. */
export function mapQuotaError(e: unknown, label: string): unknown {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') {
    return new PandaError('QUOTA_EXCEEDED', `The browser refused to store more of ${label}: storage is full. ` + QUOTA_CHOICES.join(' '), {
      choices: QUOTA_CHOICES,
    });
  }
  return e;
}
