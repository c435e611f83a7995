/**
 * Model output as Markdown, never as HTML: `skipHtml` drops raw HTML nodes, react-markdown's
 * default `urlTransform` neutralises `javascript:` and other unsafe URLs, and React escapes text.
 */
import ReactMarkdown, { type Components } from 'react-markdown';

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  // Images in model output would make the page fetch arbitrary URLs: show the alt text instead.
  img: ({ alt }) => <span className="md-img-alt">{alt ? `[image: ${alt}]` : '[image]'}</span>,
};

export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
