/**
 * Page object for the chat app: every journey talks to the app through these stable test ids
 * (listed in the README), never through CSS classes or text that may change.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';
import { APP_URL as APP_ORIGIN, chromiumArgs } from '../../playwright.config';

/** The built app, on the port playwright.config.ts serves it (PW_APP_PORT). */
export const APP_URL = `${APP_ORIGIN}/`;
export const FIXTURE_MEDIA = 'test/fixtures/pandagpt-tiny/media';
/** Held-out media of PandaGPT-nano's synthetic world (the built-in model), made by training/evaluate.py. */
export const NANO_SAMPLES = 'training/out/samples';

const MIME: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', wav: 'audio/wav', mp4: 'video/mp4', csv: 'text/csv', webm: 'video/webm', txt: 'text/plain',
};

/** `test.use` options for Chromium's fake microphone and camera, playing these files (absolute or relative paths). */
export function fakeCapture(audioFile: string, videoFile: string) {
  return {
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        ...chromiumArgs,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${resolve(audioFile)}`,
        `--use-file-for-fake-video-capture=${resolve(videoFile)}`,
      ],
    },
    permissions: ['microphone', 'camera'],
  };
}

export function mimeOf(path: string): string {
  return MIME[path.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
}

export class AppPage {
  readonly input: Locator;
  readonly send: Locator;
  readonly attach: Locator;
  readonly chips: Locator;
  readonly messages: Locator;
  readonly stopButton: Locator;
  readonly status: Locator;
  readonly toasts: Locator;

  constructor(readonly page: Page) {
    this.input = page.getByTestId('composer-input');
    this.send = page.getByTestId('composer-send');
    this.attach = page.getByTestId('composer-attach');
    this.chips = page.getByTestId('attachment-chip');
    this.messages = page.getByTestId('message');
    this.stopButton = page.getByTestId('stop-generation');
    this.status = page.getByTestId('model-status');
    this.toasts = page.getByTestId('error-toast');
  }

  /** Opens the app; `backend` is set in Settings storage before the page loads. */
  async open(opts: { backend?: 'auto' | 'webgpu' | 'wasm'; settings?: Record<string, unknown>; query?: string } = {}): Promise<void> {
    const settings = { ...(opts.settings ?? {}), ...(opts.backend ? { backend: opts.backend } : {}) };
    if (Object.keys(settings).length) {
      await this.page.addInitScript((s) => {
        if (!sessionStorage.getItem('e2e-settings-set')) {
          localStorage.setItem('pandagpt.settings.v1', JSON.stringify(s));
          sessionStorage.setItem('e2e-settings-set', '1');
        }
      }, settings);
    }
    await this.page.goto(APP_URL + (opts.query ?? ''));
  }

  /** Waits for ready; fails at once with the page's message when loading fails. */
  async waitForModel(timeout = 120_000): Promise<void> {
    await expect(this.status).toHaveAttribute('data-state', /^(ready|error)$/, { timeout });
    if ((await this.status.getAttribute('data-state')) === 'error') {
      const msg = await this.page.locator('[role="alert"]').allInnerTexts();
      throw new Error(`the model failed to load: ${msg.join(' | ')}`);
    }
  }

  /** A real drag-and-drop: dragenter/dragover/drop events carrying a DataTransfer with the file. */
  async dropFiles(paths: string[], target = 'main'): Promise<void> {
    const files = paths.map((p) => ({ name: basename(p), type: mimeOf(p), b64: readFileSync(p).toString('base64') }));
    const dt = await this.page.evaluateHandle((list) => {
      const d = new DataTransfer();
      for (const f of list) {
        const bin = atob(f.b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        d.items.add(new File([bytes], f.name, { type: f.type }));
      }
      return d;
    }, files);
    for (const type of ['dragenter', 'dragover', 'drop']) await this.page.dispatchEvent(target, type, { dataTransfer: dt });
  }

  async attachFiles(files: string[] | { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
    await this.attach.setInputFiles(files as never);
  }

  /** Waits until every chip is encoded. */
  async waitForChips(count: number, timeout?: number): Promise<void> {
    try {
      await expect(this.chips).toHaveCount(count, { timeout });
      for (let i = 0; i < count; i++) await expect(this.chips.nth(i)).toHaveAttribute('data-status', 'ready', { timeout });
    } catch (e) {
      // Why a chip is missing is usually in a toast: say it in the failure.
      const shown = await this.page.locator('[role="alert"], [role="status"]').allInnerTexts().catch(() => []);
      if (e instanceof Error && shown.length) e.message += `\nShown on the page: ${shown.map((t) => t.replace(/\s+/g, ' ').trim()).join(' | ')}`;
      throw e;
    }
  }

  /** Records from the (fake) microphone for `ms`, checking the level meter moves; one audio chip. */
  async recordMic(ms = 2500): Promise<void> {
    await this.page.getByRole('button', { name: 'Record audio' }).click();
    await this.page.getByTestId('mic-start').click();
    await expect.poll(async () => Number(await this.page.getByTestId('mic-level').getAttribute('value')), { timeout: 10_000 }).toBeGreaterThan(0);
    await this.page.waitForTimeout(ms);
    await this.page.getByTestId('mic-stop').click();
  }

  async ask(text: string): Promise<void> {
    await this.input.fill(text);
    await this.input.press('Enter');
  }

  assistant(n = -1): Locator {
    const all = this.page.locator('[data-testid="message"][data-role="assistant"]');
    return n < 0 ? all.last() : all.nth(n);
  }

  user(n = -1): Locator {
    const all = this.page.locator('[data-testid="message"][data-role="user"]');
    return n < 0 ? all.last() : all.nth(n);
  }

  /** The text of a user message (without its buttons). */
  userText(n = -1): Locator {
    return this.user(n).getByTestId('message-text');
  }

  /** Waits for the last answer to finish; returns its status (done | stopped | error). */
  async waitForAnswer(timeout = 120_000): Promise<string> {
    const a = this.assistant();
    await expect(a).toHaveAttribute('data-status', /^(done|stopped|error)$/, { timeout });
    return (await a.getAttribute('data-status'))!;
  }

  /**
   * Stops the streaming answer unless it ends by itself first (hot sampling can hit a stop token at
   * any point: what the answer says depends on where an earlier answer was stopped). Returns its status.
   */
  async stopIfStreaming(): Promise<string> {
    await this.stopButton.click({ timeout: 5_000 }).catch(() => undefined);
    return this.waitForAnswer(30_000);
  }

  /**
   * What the page stored for its attachments (IndexedDB, as a reload would read it): per file name
   * the ImageBind vector and the original bytes (base64). Polls until every named file (or `want`
   * files) has a vector, since saves follow the encoding by a moment.
   */
  async storedMedia(want: string[] | number = 1): Promise<Record<string, { vector: number[]; modality: string; bytes: Buffer }>> {
    const read = (): Promise<Record<string, { vector: number[]; modality: string; b64: string }>> =>
      this.page.evaluate(async () => {
        const open = (name: string, store: string): Promise<IDBObjectStore> =>
          new Promise((res, rej) => {
            const r = indexedDB.open(name);
            r.onupgradeneeded = () => r.result.createObjectStore(store);
            r.onsuccess = () => res(r.result.transaction(store).objectStore(store));
            r.onerror = () => rej(r.error);
          });
        const all = <T>(s: IDBObjectStore): Promise<T[]> => new Promise((res, rej) => { const r = s.getAll(); r.onsuccess = () => res(r.result as T[]); r.onerror = () => rej(r.error); });
        const one = <T>(s: IDBObjectStore, k: string): Promise<T> => new Promise((res, rej) => { const r = s.get(k); r.onsuccess = () => res(r.result as T); r.onerror = () => rej(r.error); });
        type A = { id: string; fileName: string; modality: string; vector?: Float32Array };
        const convs = await all<{ attachments: A[] }>(await open('pandagpt-chats', 'conversations'));
        const out: Record<string, { vector: number[]; modality: string; b64: string }> = {};
        for (const a of convs.flatMap((c) => c.attachments)) {
          if (!a.vector) continue;
          const blob = await one<Blob | undefined>(await open('pandagpt-chat-media', 'blobs'), a.id);
          const bytes = blob ? new Uint8Array(await blob.arrayBuffer()) : new Uint8Array();
          let bin = '';
          for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          out[a.fileName] = { vector: Array.from(a.vector), modality: a.modality, b64: btoa(bin) };
        }
        return out;
      });
    let got: Awaited<ReturnType<typeof read>> = {};
    await expect
      .poll(async () => {
        got = await read();
        return typeof want === 'number' ? Math.max(0, want - Object.keys(got).length) : want.filter((f) => !got[f]);
      }, { timeout: 30_000 })
      .toEqual(typeof want === 'number' ? 0 : []);
    return Object.fromEntries(Object.entries(got).map(([k, v]) => [k, { vector: v.vector, modality: v.modality, bytes: Buffer.from(v.b64, 'base64') }]));
  }

  async answerText(n = -1): Promise<string> {
    return (await this.assistant(n).locator('.markdown').innerText()).trim();
  }
}
