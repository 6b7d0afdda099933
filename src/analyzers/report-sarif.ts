/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per kind ("memdesc/raw-<kind>"), one for
 * unknown accesses and one for residue. Converted accesses are not results. Artifact URIs
 * are relative to the repository root (the nearest ancestor holding .git, else the analyzed
 * root) under %SRCROOT%.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnalysisResult, Confidence } from '../model/findings.ts';
import { UNKNOWN_KIND, type Spec } from '../model/spec.ts';
import { specWords } from '../model/words.ts';
import { siteMessage } from './report-text.ts';

export interface SarifOptions {
  /** Absolute analyzed root (findings' files are relative to it). */
  root: string;
  /** Base for artifact URIs; default: nearest ancestor of root with .git, else root. */
  repoRoot?: string;
  toolVersion?: string;
}

export function findRepoRoot(start: string): string | undefined {
  for (let d = resolve(start); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: 'warning' | 'note' | 'error' };
  properties: { tags: string[] };
}

/**
 * SARIF `rank` (0-100, how sure the tool is of the result): code evidence highest, the owner
 * hint a fallback, an undecided kind lowest. The confidence itself is in the properties.
 */
export const CONFIDENCE_RANK: Record<Confidence, number> = { guard: 90, provenance: 85, callgraph: 75, 'owner-hint': 40, unknown: 10 };

function camel(s: string): string {
  return s.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
}

export function toSarif(r: AnalysisResult, spec: Spec, opts: SarifOptions): object {
  const repoRoot = opts.repoRoot ?? findRepoRoot(opts.root) ?? opts.root;
  const prefix = relative(repoRoot, opts.root).split('\\').join('/');
  const uri = (file: string) => (prefix ? `${prefix}/${file}` : file);
  const rules: Rule[] = [];
  const ruleIndex = new Map<string, number>();
  const addRule = (rule: Rule) => {
    ruleIndex.set(rule.id, rules.length);
    rules.push(rule);
  };
  // The spec's names: "Shelf"/"Stock" for a user's project, "struct page"/"struct slab" for the kernel's.
  const words = specWords(spec);
  const obj = camel(spec.page.class);
  for (const k of spec.kinds) {
    const map = k.fields.map((f) => `${f.field} -> ${f.to.join('/')}`).join(', ');
    const target = k.descriptor ? words.type(k.descriptor.class) : 'its own field names';
    addRule({
      id: `memdesc/raw-${k.name}`,
      name: `Raw${camel(k.name)}${obj}Access`,
      shortDescription: { text: `Raw ${words.object} field access in ${k.name} code` },
      fullDescription: { text: `${k.description ?? k.name}: this code uses the overloaded ${words.kernel ? `${words.object} union` : `fields of ${words.object}`} directly instead of ${target}.` },
      help: { text: `Convert to ${target}${map ? ` (${map})` : ''}${k.converters.fromPage.length ? ` via ${k.converters.fromPage.join('/')}()` : ''}.` },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['memdesc', k.name] },
    });
  }
  addRule({
    id: 'memdesc/raw-unknown',
    name: `Unclassified${obj}Access`,
    shortDescription: { text: `Raw ${words.object} field access of undecided ${words.descriptor} kind` },
    fullDescription: { text: `No ${words.typeTest}, provenance or owner decides which ${words.descriptor} this access belongs to, or the evidence conflicts.` },
    help: { text: `Add a ${words.typeTest}, or extend the spec (owner files/functions, provenance calls).` },
    defaultConfiguration: { level: 'warning' },
    properties: { tags: ['memdesc', UNKNOWN_KIND] },
  });
  addRule({
    id: 'memdesc/residue',
    name: 'UnanalyzedCode',
    shortDescription: { text: 'Code memdesc could not analyze' },
    fullDescription: { text: 'A receiver typed any/unknown, a computed key, or a file that does not parse: accesses here may be missed.' },
    help: { text: 'Give the receiver a type, use a literal key, or fix the syntax error.' },
    defaultConfiguration: { level: 'note' },
    properties: { tags: ['memdesc', 'residue'] },
  });
  const fp = (...parts: Array<string | number>) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
  const results: object[] = [];
  for (const f of r.findings) {
    if (f.converted) continue;
    const id = ruleIndex.has(`memdesc/raw-${f.kind}`) ? `memdesc/raw-${f.kind}` : 'memdesc/raw-unknown';
    results.push({
      ruleId: id,
      ruleIndex: ruleIndex.get(id)!,
      level: 'warning',
      rank: CONFIDENCE_RANK[f.confidence ?? 'unknown'],
      message: { text: siteMessage(f) },
      locations: [{ physicalLocation: { artifactLocation: { uri: uri(f.file), uriBaseId: '%SRCROOT%' }, region: { startLine: f.line, startColumn: f.column } } }],
      partialFingerprints: { 'memdescSite/v1': fp(f.file, f.function ?? '', f.field, f.access, f.receiver, f.wrapper ?? '') },
      properties: { kind: f.kind, confidence: f.confidence, field: f.field, access: f.access, evidence: f.evidence },
    });
  }
  for (const x of r.residue) {
    results.push({
      ruleId: 'memdesc/residue',
      ruleIndex: ruleIndex.get('memdesc/residue')!,
      level: 'note',
      message: { text: x.reason },
      locations: [{ physicalLocation: { artifactLocation: { uri: uri(x.file), uriBaseId: '%SRCROOT%' }, region: { startLine: x.line, startColumn: x.column } } }],
      partialFingerprints: { 'memdescSite/v1': fp(x.file, x.reason) },
    });
  }
  const base = pathToFileURL(repoRoot).href;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'memdesc',
          ...(opts.toolVersion ? { version: opts.toolVersion, semanticVersion: opts.toolVersion } : {}),
          rules,
        },
      },
      automationDetails: { id: `memdesc/analyze/${spec.name}/` },
      originalUriBaseIds: { '%SRCROOT%': { uri: base.endsWith('/') ? base : `${base}/` } },
      columnKind: 'utf16CodeUnits',
      results,
    }],
  };
}
