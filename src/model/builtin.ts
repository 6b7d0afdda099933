/** The built-in spec: Linux struct page and its six memdesc kinds (specs/linux.json). */
import { readFileSync } from 'node:fs';
import { validateSpec, loadSpecFile } from './spec-validate.ts';
import type { Spec } from './spec.ts';

let cached: Spec | undefined;

export const BUILTIN_SPEC_FILE = new URL('./specs/linux.json', import.meta.url);

export function builtinSpec(): Spec {
  cached ??= validateSpec(JSON.parse(readFileSync(BUILTIN_SPEC_FILE, 'utf8')), 'builtin');
  return cached;
}

/** The spec to use: a user file (which may extend the built-in one) or the built-in spec. */
export function resolveSpec(file?: string): Spec {
  return file ? loadSpecFile(file, builtinSpec()) : builtinSpec();
}
