/**
 * Web pages as `plan import` reads them: a browser saves a page as HTML unless told to save it as
 * text, and a mail may carry its text as text/html only. The page becomes the text a browser's
 * "save as text" gives — block elements on lines of their own, `<pre>` kept as it is, entities
 * decoded, links as their text, no line wrapping — which the importer reads like any saved page.
 * html-to-text (htmlparser2) does the parsing; it is loaded on first use.
 */
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';

type HtmlToText = typeof import('html-to-text');
let converter: ((html: string) => string) | undefined;

/** The first bytes, read one char per byte: enough to see what a file opens with. */
function head(data: Uint8Array | string): string {
  return typeof data === 'string' ? data.slice(0, 4096) : Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 4096)).toString('latin1');
}

/**
 * The file opens as an HTML document: after white space and comments (a browser's "saved from
 * url" mark), a doctype or an html, head or body tag; or an XML declaration before an XHTML one.
 */
export function isHtmlPage(data: Uint8Array | string): boolean {
  const h = head(data).replace(/^(?:\s|<!--[\s\S]*?-->|<\?xml[^>]*\?>)*/, '');
  return /^<(?:!doctype\s+html\b|html\b|head\b|body\b)/i.test(h);
}

/** The charset a page declares in a meta tag, if any. */
export function htmlCharset(data: Uint8Array | string): string | undefined {
  const h = head(data);
  return /<meta\s[^>]*charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(h)?.[1];
}

/** The text of an HTML page or part, as a browser saves it as text. */
export function htmlText(html: string): string {
  if (!converter) {
    const { compile } = createRequire(import.meta.url)('html-to-text') as HtmlToText;
    const heading = { uppercase: false, leadingLineBreaks: 2, trailingLineBreaks: 1 };
    converter = compile({
      wordwrap: false,
      formatters: {
        cell: (elem, walk, builder) => {
          walk(elem.children, builder);
          builder.addLiteral('\t');
        },
      },
      preserveNewlines: false,
      selectors: [
        { selector: 'a', options: { ignoreHref: true } },
        { selector: 'img', format: 'skip' },
        { selector: 'script', format: 'skip' },
        { selector: 'style', format: 'skip' },
        { selector: 'head', format: 'skip' },
        { selector: 'h1', options: heading },
        { selector: 'h2', options: heading },
        { selector: 'h3', options: heading },
        { selector: 'h4', options: heading },
        { selector: 'h5', options: heading },
        { selector: 'h6', options: heading },
        // Tables as a browser saves them as text: a row a line, its cells joined by tabs (a layout
        // table's cells stay blocks of their own lines, never padded into columns).
        { selector: 'table', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
        { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
        { selector: 'td', format: 'cell' },
        { selector: 'th', format: 'cell' },
        { selector: 'hr', options: { length: 8 } },
      ],
    });
  }
  return converter(html);
}
