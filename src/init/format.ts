/**
 * JSON for people to edit: a value that fits on its line stays on one line
 * (`"qty": { "words": [1], "track": "always" }`), larger ones are expanded, two spaces a level.
 */
const WIDTH = 100;

function inline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }`;
  }
  return JSON.stringify(v);
}

function format(v: unknown, indent: string, prefix: number): string {
  const one = inline(v);
  if (indent.length + prefix + one.length <= WIDTH || !v || typeof v !== 'object') return one;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => `${inner}${format(x, inner, 0)}`).join(',\n')}\n${indent}]`;
  const lines = Object.entries(v as Record<string, unknown>).map(([k, x]) => {
    const key = `${JSON.stringify(k)}: `;
    return `${inner}${key}${format(x, inner, key.length)}`;
  });
  return `{\n${lines.join(',\n')}\n${indent}}`;
}

/** `value` as JSON text ending in a newline. */
export function formatJson(value: unknown): string {
  return `${format(value, '', 0)}\n`;
}
