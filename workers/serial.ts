/**
 * One onnxruntime-web call at a time per worker: concurrent `session.run` calls on the same
 * sessions fail ("Session already started" / "Session mismatch"), so work is queued.
 */
export function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
