/**
 * Stage-2 progress per kind, read from the code (never from commit messages): a kind is
 * separated when its page -> descriptor converter (`page_ptdesc()`) reads the memdesc word (calls
 * a `memdesc_*` accessor or reads the page's memdesc field) instead of overlaying the page's own
 * words; an overlay while it does not; undeclared while the converter is not in the tree.
 */
import { ts } from '@ts-morph/common';
import type { Spec } from '../model/spec.ts';
import type { Stage2State } from '../model/progress.ts';

const MEMDESC = 'memdesc';

function readsMemdescWord(body: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n)) {
      const callee = ts.isIdentifier(n.expression) ? n.expression.text : ts.isPropertyAccessExpression(n.expression) ? n.expression.name.text : '';
      if (callee.startsWith(`${MEMDESC}_`)) found = true;
    } else if (ts.isPropertyAccessExpression(n) && n.name.text === MEMDESC) found = true;
    if (!found) ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** Each kind with a descriptor, in spec order: separated, overlay or undeclared. */
export function stage2States(program: ts.Program, root: string, spec: Spec): Record<string, Stage2State> {
  const wanted = new Map<string, string>();
  for (const k of spec.kinds) if (k.descriptor && k.converters.fromPage[0]) wanted.set(k.converters.fromPage[0], k.name);
  const found = new Map<string, boolean>();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.startsWith(`${root}/`)) continue;
    for (const st of sf.statements) {
      if (!ts.isFunctionDeclaration(st) || !st.name || !st.body) continue;
      const kind = wanted.get(st.name.text);
      // A converter defined twice (a stale copy) counts as separated only if every copy is.
      if (kind) found.set(kind, (found.get(kind) ?? true) && readsMemdescWord(st.body));
    }
  }
  const out: Record<string, Stage2State> = {};
  for (const k of spec.kinds) {
    if (!k.descriptor) continue;
    const f = found.get(k.name);
    out[k.name] = f === undefined ? 'undeclared' : f ? 'separated' : 'overlay';
  }
  return out;
}
