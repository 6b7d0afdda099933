/**
 * What the converter needs to know about each kind, resolved from the spec with defaults:
 * descriptor class, variable name, converter names, placement file, MATCH name, field map.
 * Nothing here is corpus-specific: a spec for another codebase gets the same treatment.
 */
import { ts } from '@ts-morph/common';
import { tsv } from '../analyzers/tsValues.ts';
import { UsageError } from '../errors.ts';
import { UNKNOWN_KIND, type KindSpec, type Spec } from '../model/spec.ts';
import type { AnalysisContext } from '../analyzers/context.ts';
import { pageAnnotation } from './syntax.ts';

export interface KindPlan {
  spec: KindSpec;
  name: string;
  /** Descriptor class; null for kinds that only rename page members (buddy). */
  desc: string | null;
  /** Variable name for descriptors of this kind (ptdesc). */
  variable: string;
  /** The project's naming style, for every name the converter makes. */
  style: NamingStyle;
  /** The page class as a variable name in that style (page, slot, gameCell). */
  pageWord: string;
  /** Project-relative file the class is created in. */
  placement: string;
  match: string;
  fromPage: string;
  toPage: string;
  fromAddress?: string;
  toAddress?: string;
  /** Raw page field -> descriptor field names (first is the default). */
  fields: Map<string, string[]>;
}

/**
 * How the project names its functions: `camel` (allocLoanSlot) or `snake` (alloc_pages). Names
 * the converter makes (converters, variables, locals) follow it.
 */
export type NamingStyle = 'snake' | 'camel';

/** The style most of the project's own function names use (snake on a tie: the kernel's). */
export function namingStyle(files: readonly ts.SourceFile[]): NamingStyle {
  // A series plans every step on one analysis: the same files, counted once.
  let style = styles.get(files);
  if (!style) styles.set(files, (style = countStyle(files)));
  return style;
}

const styles = new WeakMap<readonly ts.SourceFile[], NamingStyle>();

function countStyle(files: readonly ts.SourceFile[]): NamingStyle {
  let camel = 0;
  let snake = 0;
  const count = (name: string): void => {
    if (/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(name)) snake++;
    else if (/^[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*$/.test(name)) camel++;
  };
  for (const sf of files) {
    if (sf.isDeclarationFile) continue;
    const visit = (n: ts.Node): void => {
      if ((tsv.isFunctionDeclaration(n) || tsv.isMethodDeclaration(n)) && n.name && tsv.isIdentifier(n.name)) count(n.name.text);
      else if (tsv.isVariableDeclaration(n) && tsv.isIdentifier(n.name) && n.initializer &&
        (tsv.isArrowFunction(n.initializer) || tsv.isFunctionExpression(n.initializer))) count(n.name.text);
      tsv.forEachChild(n, visit);
    };
    visit(sf);
  }
  return camel > snake ? 'camel' : 'snake';
}

/** The page class as a word in messages and comments: Page -> page, Slot -> slot, GameCell -> GameCell. */
export function classWord(spec: Spec): string {
  const c = spec.page.class;
  return /^[A-Z][a-z0-9]*$/.test(c) ? c.toLowerCase() : c;
}

/** classWord() in the plural: boxes, pages, slots (English: -es after s, x, z, ch, sh). */
export function classWords(spec: Spec): string {
  const w = classWord(spec);
  return /(s|x|z|ch|sh)$/i.test(w) ? `${w}es` : `${w}s`;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** `a` and `b` joined in the style: page_slab / slotToLoan (`to` only in camel, where `slotLoan` reads as one noun). */
export function joinNames(style: NamingStyle, a: string, b: string, camelLink = ''): string {
  return style === 'camel' ? `${a}${upperFirst(camelLink)}${upperFirst(b)}` : `${a}_${b}`;
}

/** FreeSlot -> FREE_SLOT in camel style (its words), FREESLOT in snake style (as before). */
export function upperName(style: NamingStyle, s: string): string {
  return style === 'camel' ? s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase() : s.toUpperCase();
}

export function kindPlans(spec: Spec, style: NamingStyle = 'snake'): KindPlan[] {
  return spec.kinds.map((k) => {
    const desc = k.descriptor?.class ?? null;
    const variable = k.descriptor?.variable ?? (desc ? (style === 'camel' ? lowerFirst(desc) : desc.toLowerCase()) : k.name);
    const pageWord = style === 'camel' ? lowerFirst(spec.page.class) : spec.page.class.toLowerCase();
    return {
      spec: k,
      name: k.name,
      desc,
      variable,
      style,
      pageWord,
      placement: k.descriptor?.placement ?? spec.page.file,
      match: k.descriptor?.match ?? `${(desc ?? k.name).toUpperCase()}_MATCH`,
      fromPage: k.converters.fromPage[0] ?? joinNames(style, pageWord, variable, 'to'),
      toPage: k.converters.toPage[0] ?? joinNames(style, variable, pageWord, 'to'),
      ...(k.converters.fromAddress[0] ? { fromAddress: k.converters.fromAddress[0] } : {}),
      ...(k.converters.toAddress?.[0] ? { toAddress: k.converters.toAddress[0] } : {}),
      fields: new Map(k.fields.map((f) => [f.field, f.to])),
    };
  });
}

/** `convert <kind…|--all>`: the kinds to convert, in spec order. */
export function selectKinds(spec: Spec, kinds: string[], all: boolean): KindPlan[] {
  const plans = kindPlans(spec);
  if (all) {
    if (kinds.length > 0) throw new UsageError('give kinds or --all, not both');
    return plans;
  }
  if (kinds.length === 0) throw new UsageError(`no kind given: name kinds to convert (${plans.map((p) => p.name).join(', ')}) or pass --all`);
  for (const k of kinds) {
    if (k === UNKNOWN_KIND) throw new UsageError(`'${UNKNOWN_KIND}' is not a kind that can be converted: its sites have no decided descriptor`);
    if (!plans.some((p) => p.name === k)) throw new UsageError(`unknown kind '${k}' (known: ${plans.map((p) => p.name).join(', ')})`);
  }
  return plans.filter((p) => kinds.includes(p.name));
}

/**
 * A descriptor-side name for a page-side variable: page -> ptdesc, first_page -> first_zpdesc,
 * head -> head; in camel style slot -> loan, firstSlot -> firstLoan, slotHead -> loanHead.
 */
export function descriptorName(pageName: string, pageWord: string, variable: string, style: NamingStyle = 'snake'): string {
  if (pageName === pageWord) return variable;
  if (style === 'camel') {
    const P = upperFirst(pageWord);
    if (pageName.startsWith(pageWord) && /^[A-Z0-9]/.test(pageName.slice(pageWord.length))) return variable + pageName.slice(pageWord.length);
    const re = new RegExp(`([a-z0-9])${P}([A-Z0-9]|$)`);
    if (re.test(pageName)) return pageName.replace(re, `$1${upperFirst(variable)}$2`);
    return pageName;
  }
  const re = new RegExp(`(^|_)${pageWord}(_|$)`);
  if (re.test(pageName)) return pageName.replace(re, `$1${variable}$2`);
  return pageName;
}

/**
 * Converter names that clash with nothing: the default name (slotToLoan) unless the project
 * already declares something else under it, then slotToLoan2, … A function of that name that
 * takes the class and returns the descriptor (or the reverse) is the converter itself, kept.
 * Names the spec gives are the user's choice and stay.
 */
export function settleConverterNames(ctx: AnalysisContext, kinds: KindPlan[]): void {
  const decls = new Map<string, ts.Statement[]>();
  for (const sf of ctx.files) {
    for (const st of sf.statements) {
      const names: string[] = [];
      if ((tsv.isFunctionDeclaration(st) || tsv.isClassDeclaration(st) || tsv.isInterfaceDeclaration(st) || tsv.isTypeAliasDeclaration(st) ||
        tsv.isEnumDeclaration(st)) && st.name) names.push(st.name.text);
      if (tsv.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (tsv.isIdentifier(d.name)) names.push(d.name.text);
      for (const n of names) decls.set(n, [...(decls.get(n) ?? []), st]);
    }
  }
  const typeName = (t: ts.TypeNode | undefined): string[] => {
    if (!t) return [];
    const parts = tsv.isUnionTypeNode(t) ? [...t.types] : [t];
    return parts.filter(tsv.isTypeReferenceNode).map((r) => r.typeName.getText());
  };
  const isConverter = (name: string, k: KindPlan, dir: 'from' | 'to'): boolean => {
    const ds = decls.get(name) ?? [];
    return ds.length > 0 && ds.every((d) => {
      if (!tsv.isFunctionDeclaration(d) || d.parameters.length !== 1) return false;
      const p = d.parameters[0]!.type;
      if (dir === 'from') return !!p && !!pageAnnotation(ctx, p) && typeName(d.type).includes(k.desc!);
      return typeName(p).includes(k.desc!) && !!d.type && !!pageAnnotation(ctx, d.type);
    });
  };
  const chosen = new Set<string>();
  const pick = (base: string, k: KindPlan, dir: 'from' | 'to'): string => {
    for (let i = 1; ; i++) {
      const n = i === 1 ? base : `${base}${i}`;
      if (chosen.has(n)) continue;
      if (!decls.has(n) || isConverter(n, k, dir)) { chosen.add(n); return n; }
    }
  };
  for (const k of kinds) {
    if (!k.desc) continue;
    if (!k.spec.converters.fromPage[0]) k.fromPage = pick(k.fromPage, k, 'from');
    if (!k.spec.converters.toPage[0]) k.toPage = pick(k.toPage, k, 'to');
  }
}
