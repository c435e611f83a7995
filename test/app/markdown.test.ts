import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from '../../src/app/components/Markdown';

const html = (text: string): string => renderToStaticMarkup(createElement(Markdown, { text }));

describe('Markdown (model output)', () => {
  it('renders Markdown', () => {
    expect(html('**bold** and `code`')).toContain('<strong>bold</strong>');
    expect(html('- a\n- b')).toContain('<li>a</li>');
  });

  it('never renders raw HTML from the model', () => {
    const out = html('hi <script>alert(1)</script> <img src=x onerror="alert(2)"> <b onclick="x()">b</b>\n\n<iframe src="https://evil"></iframe>');
    expect(out).not.toMatch(/<script|<img|onerror|<iframe|onclick|<b>/i);
    expect(out).toContain('hi');
  });

  it('neutralises javascript: links and does not load images', () => {
    const out = html('[click](javascript:alert(1)) ![pic](https://example.com/x.png)');
    expect(out).not.toContain('javascript:');
    expect(out).not.toContain('<img');
    expect(out).toContain('[image: pic]');
    expect(html('[ok](https://example.com)')).toContain('rel="noopener noreferrer nofollow"');
  });
});
