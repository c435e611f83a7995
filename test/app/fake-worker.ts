import * as Comlink from 'comlink';

/** A Worker stand-in: one end of a real MessageChannel, the api exposed on the other. */
export function fakeWorker(api: object) {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(api, port2);
  const errorTarget = new EventTarget();
  let terminated = false;
  const w = {
    postMessage: (m: unknown, t?: Transferable[]) => port1.postMessage(m, t as never),
    addEventListener: (type: string, fn: EventListener) => (type === 'message' ? port1.addEventListener('message', fn as never) : errorTarget.addEventListener(type, fn)),
    removeEventListener: (type: string, fn: EventListener) => (type === 'message' ? port1.removeEventListener('message', fn as never) : errorTarget.removeEventListener(type, fn)),
    start: () => port1.start(),
    terminate: () => {
      terminated = true;
      port1.close();
      port2.close();
    },
    crash: () => {
      const ev = new Event('error') as Event & { message: string };
      ev.message = 'boom';
      errorTarget.dispatchEvent(ev);
    },
    get terminated() {
      return terminated;
    },
  };
  return w;
}
