/**
 * In-page probe for the `page` bench suite, installed as an init script in the real app (not a
 * bench harness page): a MutationObserver stamps `performance.now()` (ms since navigation start)
 * whenever something the suite times changes in the DOM, so timings are taken in the page and
 * never include Playwright round trips. It reads only the app's stable test ids (README), like
 * the e2e page object.
 *
 * The functions here are serialised with `Function.prototype.toString()` and must stay
 * self-contained (no imports, no outer variables).
 */

/** One observed change: `kind` says what changed, `value` its new value. */
export interface ProbeMark {
  /** ms since navigation start (performance.now()). */
  t: number;
  kind: 'state' | 'label' | 'chips' | 'tags' | 'assistant' | 'send';
  value: string;
}

declare global {
  interface Window {
    __pageBench?: { marks: ProbeMark[] };
  }
}

/** Init script: starts recording marks from document start. */
export function installPageProbe(): void {
  const marks: ProbeMark[] = [];
  window.__pageBench = { marks };
  const last: Record<string, string> = {};
  const note = (kind: ProbeMark['kind'], value: string): void => {
    if (last[kind] === value) return;
    last[kind] = value;
    marks.push({ t: performance.now(), kind, value });
  };
  const check = (): void => {
    const status = document.querySelector('[data-testid="model-status"]');
    if (status) {
      note('state', status.getAttribute('data-state') ?? '');
      note('label', status.querySelector('.model-status-label')?.textContent ?? '');
    }
    const chips = document.querySelectorAll('[data-testid="attachment-chip"]');
    note('chips', Array.from(chips, (c) => c.getAttribute('data-status') ?? '').join(','));
    note('tags', String(document.querySelectorAll('[data-testid="zero-shot-tags"]').length));
    // "<assistant count>:<last answer has text 0|1>:<its status>"
    const answers = document.querySelectorAll('[data-testid="message"][data-role="assistant"]');
    const a = answers[answers.length - 1];
    const hasText = (a?.querySelector('.markdown')?.textContent ?? '').trim().length > 0;
    note('assistant', `${answers.length}:${hasText ? 1 : 0}:${a?.getAttribute('data-status') ?? ''}`);
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

/**
 * Stamps a `send` mark and submits the composer in the same task (the text is already filled in).
 * Returns the number of assistant messages before the send (the answer is the next one).
 */
export function sendNow(): number {
  const before = document.querySelectorAll('[data-testid="message"][data-role="assistant"]').length;
  window.__pageBench!.marks.push({ t: performance.now(), kind: 'send', value: '' });
  (document.querySelector('[data-testid="composer-send"]') as HTMLButtonElement).click();
  return before;
}

export function readMarks(): ProbeMark[] {
  return window.__pageBench?.marks ?? [];
}
