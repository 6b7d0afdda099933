/**
 * Mutants of a converted tree (the converter's output): the descriptor classes the spec names
 * (Slab, Ptdesc, …) overlay struct page words through per-field offset constants, checked by
 * *_MATCH assertions at load. The operators model converter bugs in that layer:
 *
 *  desc-wrong-word   one accessor (getter, setter or both) uses another field's word; or a field's
 *                    offset constant itself is wrong (which the MATCH assertion must catch)
 *  desc-swap-words   two fields of a descriptor exchange their words in both accessors
 *  desc-wrong-object a converter (page_slab(), slab_page(), …) returns the neighbouring object
 */
import { ts } from '@ts-morph/common';
import type { Spec } from '../model/spec.ts';
import type { Mutant, Splice } from './mutants-gen.ts';

interface Accessor {
  kind: string;
  cls: string;
  field: string;
  /** The offset constant the accessor adds to this.addr. */
  constant: ts.Identifier;
  /** `this.addr` (where a reachability probe goes). */
  self: ts.Expression;
  role: 'get' | 'set';
  numeric: boolean;
  line: number;
}

interface Located {
  file: string;
  sf: ts.SourceFile;
}

function lineOf(sf: ts.SourceFile, n: ts.Node): number {
  return sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
}

/** `this.addr + CONST` inside an accessor body. */
function offsetUse(body: ts.Node): { constant: ts.Identifier; self: ts.Expression } | undefined {
  let found: { constant: ts.Identifier; self: ts.Expression } | undefined;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.PlusToken && ts.isIdentifier(n.right) &&
      ts.isPropertyAccessExpression(n.left) && n.left.expression.kind === ts.SyntaxKind.ThisKeyword) {
      found = { constant: n.right, self: n.left };
      return;
    }
    n.forEachChild(visit);
  };
  visit(body);
  return found;
}

/**
 * `checker` (the converted tree's) lets "nothing reads Slab.freelist" look at receivers' types;
 * without it accesses are matched by property name only.
 */
export function generateDescriptorCandidates(spec: Spec, files: Map<string, ts.SourceFile>, checker?: ts.TypeChecker): Mutant[] {
  const out: Mutant[] = [];
  const classKind = new Map(spec.kinds.filter((k) => k.descriptor).map((k) => [k.descriptor!.class, k.name]));
  // The neighbouring object's address: one whole god type further (struct page: 8 words of 8 bytes).
  const pageBytes = (spec.page.wordSize ?? 8) * (Math.max(...spec.page.fields.flatMap((f) => f.words)) + 1);
  // The member holding the object's address (page.addr, shelf.base): what a converter hands on.
  const addressMembers = new Set(spec.page.addressMembers.length ? spec.page.addressMembers : ['addr']);
  const accessors: Array<Accessor & Located> = [];
  const constDecls = new Map<string, { decl: ts.VariableDeclaration; file: string; sf: ts.SourceFile }>();
  const converters: Array<{ kind: string; name: string; arg: ts.Expression; file: string; sf: ts.SourceFile }> = [];
  const converterNames = new Map<string, string>();
  for (const k of spec.kinds) for (const n of [...k.converters.fromPage, ...k.converters.toPage]) converterNames.set(n, k.name);

  // Files declaring a descriptor class: where the converter puts the converters it names itself.
  const descFiles = new Set([...files].filter(([, sf]) => sf.statements.some((st) => ts.isClassDeclaration(st) && !!st.name && classKind.has(st.name.text))).map(([f]) => f));
  for (const [file, sf] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const st of sf.statements) {
      if (ts.isVariableStatement(st)) {
        for (const d of st.declarationList.declarations) {
          if (ts.isIdentifier(d.name) && d.initializer && ts.isNumericLiteral(d.initializer)) constDecls.set(`${file}\0${d.name.text}`, { decl: d, file, sf });
        }
      }
      if (ts.isFunctionDeclaration(st) && st.name && st.body && (converterNames.has(st.name.text) || descFiles.has(file))) {
        // `new Desc(page.addr)` / `new Page(desc.addr)`: the object a converter hands back. A
        // converter is one the spec names, or any function doing that (the converter names its own).
        const fn = st;
        const visit = (n: ts.Node): void => {
          if (ts.isNewExpression(n) && n.arguments?.length === 1 && ts.isPropertyAccessExpression(n.arguments[0]!) && addressMembers.has(n.arguments[0]!.name.text) && ts.isIdentifier(n.expression)) {
            const built = n.expression.text;
            // Desc -> its kind; the page class -> the kind whose descriptor the parameters take.
            const kind = converterNames.get(fn.name!.text) ?? classKind.get(built) ??
              (built === spec.page.class ? fn.parameters.map((p) => p.type?.getText(sf) ?? '').flatMap((t) => [...classKind].filter(([c]) => new RegExp(`\\b${c}\\b`).test(t)).map(([, k]) => k))[0] : undefined);
            if (kind) converters.push({ kind, name: fn.name!.text, arg: n.arguments[0]!, file, sf });
          }
          n.forEachChild(visit);
        };
        visit(fn.body!);
      }
      if (!ts.isClassDeclaration(st) || !st.name || !classKind.has(st.name.text)) continue;
      for (const m of st.members) {
        if (!(ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) || !m.body || !ts.isIdentifier(m.name)) continue;
        const use = offsetUse(m.body);
        if (!use) continue;
        const numeric = ts.isGetAccessorDeclaration(m) ? m.type?.getText(sf) === 'number' : m.parameters[0]?.type?.getText(sf) === 'number';
        accessors.push({ kind: classKind.get(st.name.text)!, cls: st.name.text, field: m.name.text, ...use, role: ts.isGetAccessorDeclaration(m) ? 'get' : 'set', numeric, line: lineOf(sf, m), file, sf });
      }
    }
  }

  // Descriptor fields read / written anywhere ("Cls.field"; "*.field" when the receiver's type is
  // unknown): an accessor nothing calls cannot misbehave.
  const fieldNames = new Set(accessors.map((a) => a.field));
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const sf of files.values()) {
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && fieldNames.has(n.name.text)) {
        let o: ts.Node = n;
        while (o.parent && ts.isParenthesizedExpression(o.parent)) o = o.parent;
        const p = o.parent;
        const assigned = !!p && ts.isBinaryExpression(p) && p.left === o && p.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && p.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
        let owner = '*';
        if (checker) {
          try {
            owner = checker.getTypeAtLocation(n.expression).getNonNullableType().getSymbol()?.getName() ?? '*';
          } catch {
            owner = '*';
          }
        }
        const key = `${owner}.${n.name.text}`;
        if (assigned) writes.add(key);
        if (!assigned || (p as ts.BinaryExpression).operatorToken.kind !== ts.SyntaxKind.EqualsToken) reads.add(key);
      }
      n.forEachChild(visit);
    };
    visit(sf);
  }
  const touched = (set: Set<string>, cls: string, f: string): boolean => set.has(`${cls}.${f}`) || set.has(`*.${f}`);
  const unused = (cls: string, f: string, roles: readonly string[]): { equivalent: string } | Record<string, never> => {
    const idle = roles.filter((r) => (r === 'get' ? !touched(reads, cls, f) : !touched(writes, cls, f)));
    return idle.length === roles.length ? { equivalent: `nothing in the tree ${roles.map((r) => (r === 'get' ? 'reads' : 'writes')).join(' or ')} ${cls}.${f}` } : {};
  };

  const splice = (a: Accessor & Located, text: string): Splice => ({ file: a.file, start: a.constant.getStart(a.sf), end: a.constant.end, text });
  const probe = (a: Accessor & Located): Splice => ({ file: a.file, start: a.self.getStart(a.sf), end: a.self.end, text: a.self.getText(a.sf) });
  const byClass = new Map<string, Array<Accessor & Located>>();
  for (const a of accessors) if (a.numeric) byClass.set(a.cls, [...(byClass.get(a.cls) ?? []), a]);

  for (const [cls, list] of byClass) {
    const fields = [...new Set(list.map((a) => a.field))];
    const constOf = new Map(list.map((a) => [a.field, a.constant.text]));
    // Two fields on the same word (Zpdesc next/handle both overlay index): exchanging them is a no-op.
    const valueOf = (f: string): string | undefined => (constDecls.get(`${list[0]!.file}\0${constOf.get(f)}`)?.decl.initializer as ts.NumericLiteral | undefined)?.text;
    const sameWord = (f: string, g: string): { equivalent: string } | Record<string, never> => {
      const [a, b] = [valueOf(f), valueOf(g)];
      return a !== undefined && a === b ? { equivalent: `${cls}.${f} and ${cls}.${g} overlay the same word (offset ${a})` } : {};
    };
    for (const f of fields) {
      const mine = list.filter((a) => a.field === f);
      for (const g of fields) {
        if (g === f || constOf.get(g) === constOf.get(f)) continue;
        for (const roles of [['get'], ['set'], ['get', 'set']] as const) {
          const hit = mine.filter((a) => (roles as readonly string[]).includes(a.role));
          if (hit.length !== roles.length) continue;
          out.push({
            ...unused(cls, f, roles),
            ...sameWord(f, g),
            id: '', operator: 'desc-wrong-word', kind: hit[0]!.kind, file: hit[0]!.file, line: hit[0]!.line,
            description: `${hit[0]!.file}:${hit[0]!.line}: ${cls}.${f} ${roles.join('+')}ter uses ${g}'s word (${constOf.get(g)})`,
            splices: hit.map((a) => splice(a, constOf.get(g)!)), probe: hit.map(probe),
          });
        }
      }
      // The offset constant itself moved to another field's word: the MATCH assertion's job.
      const decl = constDecls.get(`${mine[0]!.file}\0${constOf.get(f)}`);
      const other = fields.find((g) => g !== f && constDecls.has(`${mine[0]!.file}\0${constOf.get(g)}`) && valueOf(g) !== valueOf(f));
      if (decl && other) {
        const value = (constDecls.get(`${mine[0]!.file}\0${constOf.get(other)}`)!.decl.initializer as ts.NumericLiteral).text;
        const init = decl.decl.initializer!;
        out.push({
          id: '', operator: 'desc-wrong-word', kind: mine[0]!.kind, file: decl.file, line: lineOf(decl.sf, decl.decl),
          description: `${decl.file}:${lineOf(decl.sf, decl.decl)}: ${constOf.get(f)} = ${value} (${cls}.${f} laid over ${other}'s word)`,
          splices: [{ file: decl.file, start: init.getStart(decl.sf), end: init.end, text: value }], probe: mine.map(probe), probeCovers: false,
        });
      }
    }
    for (let i = 0; i < fields.length; i++) {
      for (let j = i + 1; j < fields.length; j++) {
        const [f, g] = [fields[i]!, fields[j]!];
        const hit = list.filter((a) => a.field === f || a.field === g);
        out.push({
          ...sameWord(f, g),
          id: '', operator: 'desc-swap-words', kind: hit[0]!.kind, file: hit[0]!.file, line: hit[0]!.line,
          description: `${hit[0]!.file}: ${cls}.${f} and ${cls}.${g} exchange words in their accessors`,
          splices: hit.map((a) => splice(a, constOf.get(a.field === f ? g : f)!)), probe: hit.map(probe),
        });
      }
    }
  }

  for (const c of converters) {
    const text = c.arg.getText(c.sf);
    out.push({
      id: '', operator: 'desc-wrong-object', kind: c.kind, file: c.file, line: lineOf(c.sf, c.arg),
      description: `${c.file}:${lineOf(c.sf, c.arg)}: ${c.name}() returns the neighbouring ${spec.page.class} (${text} + ${pageBytes})`,
      splices: [{ file: c.file, start: c.arg.getStart(c.sf), end: c.arg.end, text: `${text} + ${pageBytes}` }],
      probe: [{ file: c.file, start: c.arg.getStart(c.sf), end: c.arg.end, text }],
    });
  }
  return out;
}
