/**
 * Comlink serialises a thrown Error to name/message/stack only; throwing the `ErrorPayload`
 * instead keeps `code` and `details` (the bridge turns it back with `fromErrorPayload`).
 */
import { toErrorPayload } from '../src/core/errors';

export async function guard<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toErrorPayload(e);
  }
}
