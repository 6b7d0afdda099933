/**
 * Spec JSON -> validated Spec. Every error names the offending key as a path
 * ("kinds[2].owners[0].files: expected a string or an array of strings").
 *
 * JSON format (see specs/linux.json for the built-in one):
 * {
 *   "name": "linux-5.10", "extends": "builtin"?,
 *   "page": { "class", "file", "fields": { NAME: { "words", "bits"?, "embedded"?, "track"? } },
 *             "wrappers"?: [{ "name", "field", "access"?, "pageArg"? }], "assertions"?: [NAME | { "name", "condArg" }],
 *             "addressMembers"?: [..], "neutralSources"?: [..], "wordSize"?: 8,
 *             "addressHelpers"?: { "fromAddress"?: "virt_to_page", "toAddress"?: "page_address" },
 *             "generic"?: [{ "files": GLOB | [GLOB..], "functions": NAME_GLOB | [NAME_GLOB..], "reason" }] },
 *   "kinds": [{ "name", "description"?, "descriptor": CLASS | { "class", "file"?, "placement"?, "match"?, "variable"? } | null,
 *               "fields": { RAW: DESC | [DESC..] | { "to", "bits"?, "note"? } },
 *               "converters"?: { "fromPage"?, "toPage"?, "fromAddress"?, "toAddress"? },
 *               "pageTypeTests"?: [NAME | { "name", "pageArg"?, "negates"? }],
 *               "owners"?: [GLOB | { "files": GLOB | [GLOB..], "functions"?: [NAME_GLOB..] }],
 *               "provenance"?: [NAME | { "call", "files"?, "arg"?: { "index"?, "matches" } }] }]
 * }
 *   "oracle"?: { "run": CMD } | { "entry": FILE, "args"?: [..] }, plus "compare"?: REGEX | "json", "timeout"?: SECONDS
 * With "extends": "builtin", page keys override the built-in page spec one by one and kinds
 * replace built-in kinds of the same name (others are added).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.ts';
import {
  UNKNOWN_KIND, type AssertionSpec, type OracleSpec, type Converters, type FieldMapEntry, type GenericSpec, type KindSpec, type OwnerSpec,
  type PageFieldSpec, type PageSpec, type PageTypeTest, type ProvenanceSpec, type Spec, type TrackMode, type WrapperSeed,
} from './spec.ts';

type Json = unknown;

class SpecError extends Error {
  constructor(readonly path: string, msg: string) {
    super(`${path}: ${msg}`);
  }
}

function isObj(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: Json, path: string, allowed: readonly string[], required: readonly string[] = []): Record<string, Json> {
  if (!isObj(v)) throw new SpecError(path, 'expected an object');
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new SpecError(join(path, k), `unknown key (expected one of: ${allowed.join(', ')})`);
  }
  for (const k of required) if (!(k in v)) throw new SpecError(join(path, k), 'missing required key');
  return v;
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function str(v: Json, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new SpecError(path, 'expected a non-empty string');
  return v;
}

function int(v: Json, path: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new SpecError(path, `expected an integer >= ${min}`);
  return v;
}

function bool(v: Json, path: string): boolean {
  if (typeof v !== 'boolean') throw new SpecError(path, 'expected true or false');
  return v;
}

function strList(v: Json, path: string, allowSingle = false): string[] {
  if (allowSingle && typeof v === 'string') return [str(v, path)];
  if (!Array.isArray(v)) throw new SpecError(path, allowSingle ? 'expected a string or an array of strings' : 'expected an array of strings');
  return v.map((x, i) => str(x, join(path, i)));
}

function list<T>(v: Json, path: string, item: (x: Json, p: string) => T): T[] {
  if (!Array.isArray(v)) throw new SpecError(path, 'expected an array');
  return v.map((x, i) => item(x, join(path, i)));
}

function bitsOf(v: Json, path: string): string {
  const s = str(v, path);
  if (!/^\d+:\d+$/.test(s)) throw new SpecError(path, 'expected "LOW:WIDTH" bits, e.g. "0:24"');
  return s;
}

const ACCESSES = ['read', 'write', 'readwrite', 'reference'] as const;
const TRACKS: readonly TrackMode[] = ['always', 'owners', 'never'];

function pageField(name: string, v: Json, path: string): PageFieldSpec {
  const o = obj(v, path, ['words', 'bits', 'embedded', 'track'], ['words']);
  const words = list(o.words, join(path, 'words'), (x, p) => int(x, p));
  if (words.length === 0) throw new SpecError(join(path, 'words'), 'expected at least one word');
  let track: TrackMode = 'always';
  if (o.track !== undefined) {
    if (typeof o.track === 'boolean') track = o.track ? 'always' : 'never';
    else if (TRACKS.includes(o.track as TrackMode)) track = o.track as TrackMode;
    else throw new SpecError(join(path, 'track'), `expected true, false, or one of: ${TRACKS.join(', ')}`);
  }
  return {
    name, words, track,
    embedded: o.embedded === undefined ? false : bool(o.embedded, join(path, 'embedded')),
    ...(o.bits !== undefined ? { bits: bitsOf(o.bits, join(path, 'bits')) } : {}),
  };
}

function wrapper(v: Json, path: string): WrapperSeed {
  const o = obj(v, path, ['name', 'field', 'access', 'pageArg'], ['name', 'field']);
  const access = o.access === undefined ? 'read' : str(o.access, join(path, 'access'));
  if (!(ACCESSES as readonly string[]).includes(access)) throw new SpecError(join(path, 'access'), `expected one of: ${ACCESSES.join(', ')}`);
  return {
    name: str(o.name, join(path, 'name')),
    field: str(o.field, join(path, 'field')),
    access: access as WrapperSeed['access'],
    pageArg: o.pageArg === undefined ? 0 : int(o.pageArg, join(path, 'pageArg')),
  };
}

function assertion(v: Json, path: string): AssertionSpec {
  if (typeof v === 'string') return { name: str(v, path), condArg: 0 };
  const o = obj(v, path, ['name', 'condArg', 'means'], ['name']);
  const out: AssertionSpec = { name: str(o.name, join(path, 'name')), condArg: o.condArg === undefined ? 0 : int(o.condArg, join(path, 'condArg')) };
  if (o.means !== undefined) {
    if (o.means !== 'holds' && o.means !== 'fails-if') throw new SpecError(join(path, 'means'), 'expected "holds" or "fails-if"');
    out.means = o.means;
  }
  return out;
}

const PAGE_KEYS = ['class', 'file', 'fields', 'wrappers', 'assertions', 'addressMembers', 'neutralSources', 'wordSize', 'addressHelpers', 'generic'] as const;

function identifier(v: Json, path: string): string {
  const s = str(v, path);
  if (!/^[A-Za-z_$][\w$]*$/.test(s)) throw new SpecError(path, 'expected an identifier');
  return s;
}

function addressHelpers(v: Json, path: string): NonNullable<PageSpec['addressHelpers']> {
  const o = obj(v, path, ['fromAddress', 'toAddress']);
  return {
    ...(o.fromAddress !== undefined ? { fromAddress: identifier(o.fromAddress, join(path, 'fromAddress')) } : {}),
    ...(o.toAddress !== undefined ? { toAddress: identifier(o.toAddress, join(path, 'toAddress')) } : {}),
  };
}

function page(v: Json, path: string, base?: PageSpec): PageSpec {
  const o = obj(v, path, PAGE_KEYS, base ? [] : ['class', 'file', 'fields']);
  let fields = base?.fields ?? [];
  if (o.fields !== undefined) {
    const fo = obj(o.fields, join(path, 'fields'), Object.keys(isObj(o.fields) ? o.fields : {}));
    fields = Object.entries(fo).map(([name, fv]) => pageField(name, fv, join(join(path, 'fields'), name)));
    if (fields.length === 0) throw new SpecError(join(path, 'fields'), 'expected at least one field');
  }
  const p: PageSpec = {
    class: o.class !== undefined ? str(o.class, join(path, 'class')) : base!.class,
    file: o.file !== undefined ? str(o.file, join(path, 'file')) : base!.file,
    fields,
    wrappers: o.wrappers !== undefined ? list(o.wrappers, join(path, 'wrappers'), wrapper) : base?.wrappers ?? [],
    assertions: o.assertions !== undefined ? list(o.assertions, join(path, 'assertions'), assertion) : base?.assertions ?? [],
    addressMembers: o.addressMembers !== undefined ? strList(o.addressMembers, join(path, 'addressMembers')) : base?.addressMembers ?? [],
    neutralSources: o.neutralSources !== undefined ? strList(o.neutralSources, join(path, 'neutralSources')) : base?.neutralSources ?? [],
  };
  const wordSize = o.wordSize !== undefined ? int(o.wordSize, join(path, 'wordSize'), 1) : base?.wordSize;
  if (wordSize !== undefined) p.wordSize = wordSize;
  const helpers = o.addressHelpers !== undefined ? addressHelpers(o.addressHelpers, join(path, 'addressHelpers')) : base?.addressHelpers;
  if (helpers !== undefined) p.addressHelpers = helpers;
  const generic = o.generic !== undefined ? list(o.generic, join(path, 'generic'), genericCode) : base?.generic;
  if (generic !== undefined) p.generic = generic;
  const names = new Set(p.fields.map((f) => f.name));
  p.wrappers.forEach((w, i) => {
    if (!names.has(w.field)) throw new SpecError(join(join(join(path, 'wrappers'), i), 'field'), `"${w.field}" is not a field of page.fields`);
  });
  return p;
}

function fieldMap(v: Json, path: string, pageFields: Set<string>): FieldMapEntry[] {
  if (!isObj(v)) throw new SpecError(path, 'expected an object mapping page fields to descriptor fields');
  return Object.entries(v).map(([field, fv]) => {
    const p = join(path, field);
    if (!pageFields.has(field)) throw new SpecError(p, `"${field}" is not a field of page.fields`);
    if (typeof fv === 'string' || Array.isArray(fv)) return { field, to: strList(fv, p, true) };
    const o = obj(fv, p, ['to', 'bits', 'note'], ['to']);
    return {
      field, to: strList(o.to, join(p, 'to'), true),
      ...(o.bits !== undefined ? { bits: bitsOf(o.bits, join(p, 'bits')) } : {}),
      ...(o.note !== undefined ? { note: str(o.note, join(p, 'note')) } : {}),
    };
  });
}

function converters(v: Json, path: string): Converters {
  if (v === undefined) return { fromPage: [], toPage: [], fromAddress: [] };
  const o = obj(v, path, ['fromPage', 'toPage', 'fromAddress', 'toAddress']);
  const l = (k: 'fromPage' | 'toPage' | 'fromAddress' | 'toAddress') => (o[k] === undefined ? [] : strList(o[k], join(path, k)));
  return { fromPage: l('fromPage'), toPage: l('toPage'), fromAddress: l('fromAddress'), ...(o.toAddress !== undefined ? { toAddress: l('toAddress') } : {}) };
}

function pageTypeTest(v: Json, path: string): PageTypeTest {
  if (typeof v === 'string') return { name: str(v, path), pageArg: 0, negates: true };
  const o = obj(v, path, ['name', 'pageArg', 'negates'], ['name']);
  return {
    name: str(o.name, join(path, 'name')),
    pageArg: o.pageArg === undefined ? 0 : int(o.pageArg, join(path, 'pageArg')),
    negates: o.negates === undefined ? true : bool(o.negates, join(path, 'negates')),
  };
}

function genericCode(v: Json, path: string): GenericSpec {
  const o = obj(v, path, ['files', 'functions', 'reason'], ['files', 'functions', 'reason']);
  return {
    files: strList(o.files, join(path, 'files'), true),
    functions: strList(o.functions, join(path, 'functions'), true),
    reason: str(o.reason, join(path, 'reason')),
  };
}

function owner(v: Json, path: string): OwnerSpec {
  if (typeof v === 'string') return { files: [str(v, path)] };
  const o = obj(v, path, ['files', 'functions'], ['files']);
  return {
    files: strList(o.files, join(path, 'files'), true),
    ...(o.functions !== undefined ? { functions: strList(o.functions, join(path, 'functions'), true) } : {}),
  };
}

function provenance(v: Json, path: string): ProvenanceSpec {
  if (typeof v === 'string') return { call: str(v, path) };
  const o = obj(v, path, ['call', 'files', 'arg'], ['call']);
  const out: ProvenanceSpec = { call: str(o.call, join(path, 'call')) };
  if (o.files !== undefined) out.files = strList(o.files, join(path, 'files'), true);
  if (o.arg !== undefined) {
    const ap = join(path, 'arg');
    const a = obj(o.arg, ap, ['index', 'matches'], ['matches']);
    const matches = str(a.matches, join(ap, 'matches'));
    try {
      new RegExp(matches);
    } catch (e) {
      throw new SpecError(join(ap, 'matches'), `not a valid regular expression (${(e as Error).message})`);
    }
    out.arg = { index: a.index === undefined ? 0 : int(a.index, join(ap, 'index')), matches };
  }
  return out;
}

/** A project-relative file path the converter may create (no glob, no '..', a .ts file). */
function placementPath(v: Json, path: string): string {
  const s = str(v, path);
  if (/[*?{}[\]]/.test(s) || s.startsWith('/') || s.split('/').includes('..') || !/\.(m|c)?tsx?$/.test(s)) {
    throw new SpecError(path, 'expected a relative .ts file path inside the project (no glob, no "..")');
  }
  return s;
}

const KIND_KEYS = ['name', 'description', 'descriptor', 'fields', 'converters', 'pageTypeTests', 'owners', 'provenance'] as const;

function kind(v: Json, path: string, pageFields: Set<string>): KindSpec {
  const o = obj(v, path, KIND_KEYS, ['name', 'descriptor']);
  const name = str(o.name, join(path, 'name'));
  if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new SpecError(join(path, 'name'), 'expected an identifier-like kind name');
  if (name === UNKNOWN_KIND) throw new SpecError(join(path, 'name'), `"${UNKNOWN_KIND}" is reserved`);
  let descriptor: KindSpec['descriptor'] = null;
  if (o.descriptor !== null) {
    const dp = join(path, 'descriptor');
    if (typeof o.descriptor === 'string') descriptor = { class: str(o.descriptor, dp) };
    else {
      const d = obj(o.descriptor, dp, ['class', 'file', 'placement', 'match', 'variable'], ['class']);
      descriptor = {
        class: identifier(d.class, join(dp, 'class')),
        ...(d.file !== undefined ? { file: str(d.file, join(dp, 'file')) } : {}),
        ...(d.placement !== undefined ? { placement: placementPath(d.placement, join(dp, 'placement')) } : {}),
        ...(d.match !== undefined ? { match: identifier(d.match, join(dp, 'match')) } : {}),
        ...(d.variable !== undefined ? { variable: identifier(d.variable, join(dp, 'variable')) } : {}),
      };
    }
  }
  return {
    name, descriptor,
    ...(o.description !== undefined ? { description: str(o.description, join(path, 'description')) } : {}),
    fields: o.fields === undefined ? [] : fieldMap(o.fields, join(path, 'fields'), pageFields),
    converters: converters(o.converters, join(path, 'converters')),
    pageTypeTests: o.pageTypeTests === undefined ? [] : list(o.pageTypeTests, join(path, 'pageTypeTests'), pageTypeTest),
    owners: o.owners === undefined ? [] : list(o.owners, join(path, 'owners'), owner),
    provenance: o.provenance === undefined ? [] : list(o.provenance, join(path, 'provenance'), provenance),
  };
}

/** A spec's oracle: exactly one of a command ("run") or an entry ("entry", with "args"). */
function oracle(v: Json, path: string): OracleSpec {
  const o = obj(v, path, ['run', 'entry', 'args', 'compare', 'timeout']);
  if ((o.run === undefined) === (o.entry === undefined)) throw new SpecError(path, 'expected exactly one of "run" (a command) or "entry" (a file)');
  const extra: { compare?: string; timeout?: number } = {};
  if (o.compare !== undefined) {
    const c = str(o.compare, join(path, 'compare'));
    if (c !== 'json') {
      try {
        new RegExp(c);
      } catch (e) {
        throw new SpecError(join(path, 'compare'), `expected "json" or a valid regular expression (${(e as Error).message})`);
      }
    }
    extra.compare = c;
  }
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || !(o.timeout > 0)) throw new SpecError(join(path, 'timeout'), 'expected a positive number of seconds');
    extra.timeout = o.timeout;
  }
  if (o.run !== undefined) {
    if (o.args !== undefined) throw new SpecError(join(path, 'args'), '"args" goes with "entry" (put arguments in the "run" command)');
    return { run: str(o.run, join(path, 'run')), ...extra };
  }
  return { entry: str(o.entry, join(path, 'entry')), ...(o.args !== undefined ? { args: strList(o.args, join(path, 'args')) } : {}), ...extra };
}

/**
 * Validate parsed spec JSON. `base` is the spec that `"extends": "builtin"` refers to.
 * Throws InputError("invalid spec SOURCE: PATH: problem").
 */
export function validateSpec(json: Json, source: string, base?: Spec): Spec {
  try {
    const o = obj(json, '', ['$schema', 'name', 'extends', 'page', 'kinds', 'oracle', 'subjectPrefix']);
    let parent: Spec | undefined;
    if (o.extends !== undefined) {
      if (o.extends !== 'builtin') throw new SpecError('extends', 'the only supported value is "builtin"');
      if (!base) throw new SpecError('extends', 'no built-in spec to extend');
      parent = base;
    } else {
      if (o.page === undefined) throw new SpecError('page', 'missing required key');
      if (o.kinds === undefined) throw new SpecError('kinds', 'missing required key');
    }
    const p = o.page === undefined ? parent!.page : page(o.page, 'page', parent?.page);
    const pageFields = new Set(p.fields.map((f) => f.name));
    const own = o.kinds === undefined ? [] : list(o.kinds, 'kinds', (x, path) => kind(x, path, pageFields));
    const seen = new Set<string>();
    own.forEach((k, i) => {
      if (seen.has(k.name)) throw new SpecError(`kinds[${i}].name`, `duplicate kind "${k.name}"`);
      seen.add(k.name);
    });
    const kinds = parent ? [...parent.kinds.filter((k) => !seen.has(k.name)), ...own] : own;
    if (kinds.length === 0) throw new SpecError('kinds', 'expected at least one kind');
    if (parent) {
      // Inherited kinds must still name fields the (possibly overridden) page spec has.
      kinds.forEach((k, i) => k.fields.forEach((f) => {
        if (!pageFields.has(f.field)) throw new SpecError(`kinds[${i}].fields.${f.field}`, `"${f.field}" is not a field of page.fields`);
      }));
    }
    const orc = o.oracle === undefined ? parent?.oracle : oracle(o.oracle, 'oracle');
    const prefix = o.subjectPrefix === undefined ? parent?.subjectPrefix : str(o.subjectPrefix, 'subjectPrefix');
    return {
      name: o.name === undefined ? parent?.name ?? 'spec' : str(o.name, 'name'), source, page: p, kinds,
      ...(orc ? { oracle: orc } : {}), ...(prefix !== undefined ? { subjectPrefix: prefix } : {}),
    };
  } catch (e) {
    if (e instanceof SpecError) throw new InputError(`invalid spec ${source}: ${e.message}`);
    throw e;
  }
}

/** Read and validate a spec file. */
export function loadSpecFile(file: string, base?: Spec): Spec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError(`spec file not found: ${file}`);
  }
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`invalid spec ${file}: not JSON (${(e as Error).message})`);
  }
  return validateSpec(json, file, base);
}
