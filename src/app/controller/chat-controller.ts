/**
 * Chat actions: send, stop, regenerate, edit-and-resend. Streams tokens from the LLM bridge into
 * the store; a failure marks the answer and shows a toast, the conversation stays as it was.
 */
import type { SamplingParams } from '../../core/engine/types';
import type { PandaError } from '../../core/errors';
import { buildRequest, snapshotMedia } from '../chat/build-request';
import { useApp } from '../store';
import { newId } from '../store/ids';
import type { Settings } from '../store/settings-slice';
import type { Message } from '../store/types';
import type { AppState } from '../store';
import type { PendingSend } from '../store/composer-slice';
import { persistNow, persistSoon, persistThrottled } from './persist';
import { llmBridge } from './services';

let current: AbortController | undefined;

export function samplingParams(s: Settings): SamplingParams {
  return {
    maxNewTokens: s.maxNewTokens,
    temperature: s.temperature,
    topP: s.topP,
    topK: s.topK,
    greedy: s.greedy || undefined,
    seed: s.seed ?? Math.floor(Math.random() * 2 ** 31),
  };
}

function titleFrom(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 48 ? `${t.slice(0, 47)}…` : t || 'Media chat';
}

type MediaWait = 'busy' | 'ready' | 'cancelled' | { failed: string };

/** Where the media of `cid` stand for the message waiting on them. */
function mediaWait(s: AppState, cid: string, pending: PendingSend, earlierErrors: ReadonlySet<string>): MediaWait {
  if (s.composer.pending !== pending) return 'cancelled';
  const c = s.chat.conversations[cid];
  if (!c) return { failed: 'its conversation was deleted' };
  const bad = c.attachments.find((a) => a.status === 'error' && !earlierErrors.has(a.id));
  if (bad) return { failed: bad.error?.includes(bad.fileName) ? bad.error : `"${bad.fileName}" could not be read${bad.error ? `: ${bad.error}` : ''}` };
  if (s.composer.capturing > 0 || c.attachments.some((a) => !a.removed && a.status === 'encoding')) return 'busy';
  return 'ready';
}

function mediaBusy(s: AppState, cid: string): boolean {
  return s.composer.capturing > 0 || !!s.chat.conversations[cid]?.attachments.some((a) => !a.removed && a.status === 'encoding');
}

/** Resolves when the pending message can go out, was cancelled, or one of its media failed. */
function waitForMedia(cid: string, pending: PendingSend): Promise<Exclude<MediaWait, 'busy'>> {
  const earlier = new Set(useApp.getState().chat.conversations[cid]?.attachments.filter((a) => a.status === 'error').map((a) => a.id));
  return new Promise((resolve) => {
    let done = false;
    const check = (s: AppState): void => {
      const r = mediaWait(s, cid, pending, earlier);
      if (r === 'busy' || done) return;
      done = true;
      unsubscribe();
      resolve(r);
    };
    const unsubscribe = useApp.subscribe(check);
    check(useApp.getState());
  });
}

/**
 * Sends a message. When its media are still being read (or a capture is finishing), the message
 * waits for them and then goes out by itself; `cancelPending` puts it back in the composer, and so
 * does a medium that fails (with the reason). Returns false when nothing was sent.
 */
export async function send(text: string): Promise<boolean> {
  const st = useApp.getState();
  if (st.chat.generating || st.model.state !== 'ready' || st.composer.pending) {
    st.restoreDraft(text, null);
    return false;
  }
  const cid = st.chat.activeId ?? st.newConversation();
  if (mediaBusy(st, cid)) {
    const pending: PendingSend = { conversationId: cid, text };
    st.setPending(pending);
    const r = await waitForMedia(cid, pending);
    if (r === 'cancelled') return false;
    useApp.getState().setPending(null);
    if (r !== 'ready') {
      useApp.getState().restoreDraft(text, `Not sent: ${r.failed}. Your message is back in the box: remove or replace the file, then send again.`);
      return false;
    }
    const now = useApp.getState();
    if (now.chat.generating || now.model.state !== 'ready') {
      now.restoreDraft(text, 'Not sent: the model is busy or not ready. Your message is back in the box; send it again when the model is ready.');
      return false;
    }
  }
  const conv = useApp.getState().chat.conversations[cid]!;
  const user: Message = { id: newId('msg'), role: 'user', text, media: snapshotMedia(conv.attachments), status: 'done' };
  useApp.getState().patchConversation(cid, (c) => ({ ...c, title: c.messages.length ? c.title : titleFrom(text), messages: [...c.messages, user] }));
  await generateFor(cid, useApp.getState().chat.conversations[cid]!.messages.length - 1);
  return true;
}

/** Takes back a message that waits for its media: its text goes back into the composer. */
export function cancelPending(): void {
  const p = useApp.getState().composer.pending;
  if (!p) return;
  useApp.getState().setPending(null);
  useApp.getState().restoreDraft(p.text, null);
}

/** Generates the answer to the user turn at `userIndex`, replacing anything after it. */
async function generateFor(cid: string, userIndex: number): Promise<void> {
  const st = useApp.getState();
  const assistant: Message = { id: newId('msg'), role: 'assistant', text: '', status: 'streaming' };
  st.patchConversation(cid, (c) => ({ ...c, messages: [...c.messages.slice(0, userIndex + 1), assistant] }));
  const conv = useApp.getState().chat.conversations[cid]!;
  st.setGenerating({ conversationId: cid, messageId: assistant.id });
  void persistNow(cid);
  const ctl = new AbortController();
  current = ctl;
  const patch = (p: Partial<Message>): void => useApp.getState().patchMessage(cid, assistant.id, p);
  // Tokens can arrive faster than frames: render the latest text at most once per frame.
  let pendingText: string | null = null;
  let frame = 0;
  const flush = (): void => {
    frame = 0;
    if (pendingText !== null) patch({ text: pendingText });
    pendingText = null;
    // The partial answer reaches storage as it grows: a reload or a closed tab keeps it (as stopped).
    persistThrottled(cid, 500);
  };
  try {
    const req = buildRequest(conv.messages, userIndex, conv.attachments, samplingParams(st.settings));
    const result = await llmBridge().generate(
      req,
      (e) => {
        if (e.type !== 'token') return;
        pendingText = e.text;
        frame ||= requestAnimationFrame(flush);
      },
      ctl.signal,
    );
    cancelAnimationFrame(frame);
    pendingText = null;
    const t = result.timings;
    patch({
      text: result.text,
      status: result.stopReason === 'aborted' ? 'stopped' : 'done',
      stats: { timeToFirstTokenMs: t.timeToFirstTokenMs, tokensPerSecond: t.tokensPerSecond, generatedTokens: t.generatedTokens },
    });
  } catch (e) {
    const err = e as PandaError;
    cancelAnimationFrame(frame);
    flush();
    if (err.code === 'ABORTED') {
      patch({ status: 'stopped' });
    } else {
      patch({ status: 'error', error: err.message });
      useApp.getState().pushToast({ kind: 'error', message: err.message, code: err.code });
    }
  } finally {
    if (current === ctl) current = undefined;
    useApp.getState().setGenerating(null);
    persistSoon(cid, 0);
  }
}

export function stop(): void {
  current?.abort();
}

export async function regenerate(cid: string, assistantId: string): Promise<void> {
  const c = useApp.getState().chat.conversations[cid];
  if (!c || useApp.getState().chat.generating) return;
  const i = c.messages.findIndex((m) => m.id === assistantId);
  if (i < 1 || c.messages[i - 1]!.role !== 'user') return;
  await generateFor(cid, i - 1);
}

export async function editAndResend(cid: string, userId: string, text: string): Promise<void> {
  const c = useApp.getState().chat.conversations[cid];
  if (!c || useApp.getState().chat.generating) return;
  const i = c.messages.findIndex((m) => m.id === userId);
  if (i < 0) return;
  useApp.getState().patchConversation(cid, (x) => ({ ...x, messages: [...x.messages.slice(0, i), { ...x.messages[i]!, text }] }));
  await generateFor(cid, i);
}
