/** Run async jobs with at most `limit` at once; the first failure aborts the rest and is rethrown. */
export async function runPool<T>(items: T[], limit: number, parent: AbortSignal | undefined, run: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(parent?.reason);
  parent?.addEventListener('abort', onAbort, { once: true });
  if (parent?.aborted) ctrl.abort(parent.reason);
  let next = 0;
  let firstError: { e: unknown } | null = null;
  const worker = async () => {
    while (next < items.length && !ctrl.signal.aborted) {
      const item = items[next++]!;
      try {
        await run(item, ctrl.signal);
      } catch (e) {
        if (!firstError) firstError = { e };
        ctrl.abort(e);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  } finally {
    parent?.removeEventListener('abort', onAbort);
  }
  if (firstError) throw (firstError as { e: unknown }).e;
}
