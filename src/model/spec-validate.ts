/**
 * Spec JSON -> validated Spec. The published JSON Schema (docs/schemas/spec.schema.json, shipped
 * in the package for editors) is the contract: ajv checks a spec against it (as code ajv generated
 * from it: spec-schema.validate.ts), and the first error
 * becomes one line naming the bad key as a path ("kinds[2].owners[0].files: expected a string or
 * an array of strings"). What a schema cannot say is checked after it, in code: fields named by
 * wrappers and kinds exist in the object's layout (also after "extends"), kind names are unique,
 * regular expressions compile. Then the JSON is normalized into the types of spec.ts.
 *
 * Neutral keys and their older, page-worded aliases are both accepted (one of each pair):
 * object/page, objectArg/pageArg, typeTests/pageTypeTests, fromObject/fromPage, toObject/toPage.
 * The normalized types keep their internal names (Spec.page, KindSpec.pageTypeTests, …).
 *
 * With "extends": "builtin", object keys override the built-in object spec one by one and kinds
 * replace built-in kinds of the same name (others are added).
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { validate as validateSpecSchema } from './spec-schema.validate.ts';
import { InputError } from '../errors.ts';
import type {
  AssertionSpec, Converters, FieldMapEntry, GenericSpec, KindSpec, OracleSpec, OwnerSpec, PageFieldSpec, PageSpec, PageTypeTest,
  ProvenanceSpec, Spec, TrackMode, WrapperSeed,
} from './spec.ts';

type Json = Record<string, any>;

class SpecError extends Error {
  constructor(readonly path: string, msg: string) {
    super(path ? `${path}: ${msg}` : msg);
  }
}

/**
 * The spec schema, compiled by ajv ahead of time (spec-schema-gen.ts): compiling it at run time
 * would cost every command that reads a spec a tenth of a second or more.
 */
const specValidator = validateSpecSchema as unknown as ValidateFunction;

/** A JSON pointer into `data` as the path users read: kinds[2].fields.lru. */
function readablePath(data: unknown, pointer: string): string {
  if (!pointer) return '';
  let out = '';
  let cur: any = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += Array.isArray(cur) ? `[${seg}]` : out ? `.${seg}` : seg;
    cur = cur?.[seg];
  }
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', object: 'an object', array: 'an array', null: 'null',
};

function listValues(values: unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** One ajv error as "path: problem". Messages the schema states itself (errorMessage) win. */
function describe(e: ErrorObject, data: unknown): SpecError {
  const path = readablePath(data, e.instancePath);
  const p = e.params as Record<string, any>;
  const schema = e.parentSchema as Record<string, any> | undefined;
  switch (e.keyword) {
    case 'errorMessage':
      return new SpecError(path, e.message ?? 'invalid');
    case 'required':
      return new SpecError(join(path, p.missingProperty), 'missing required key');
    case 'additionalProperties':
      return new SpecError(join(path, p.additionalProperty), `unknown key (expected one of: ${Object.keys(schema?.properties ?? {}).join(', ')})`);
    case 'type': {
      const types = String(p.type).split(',');
      return new SpecError(path, `expected ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`);
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return new SpecError(path, `expected ${schema?.type === 'integer' ? 'an integer' : 'a number'} ${e.keyword === 'minimum' ? '>=' : '>'} ${p.limit}`);
    case 'minLength':
      return new SpecError(path, 'expected a non-empty string');
    case 'minItems':
      return new SpecError(path, `expected at least ${p.limit} item${p.limit === 1 ? '' : 's'}`);
    case 'minProperties':
      return new SpecError(path, `expected at least ${p.limit} key${p.limit === 1 ? '' : 's'}`);
    case 'enum':
      return new SpecError(path, `expected one of: ${listValues(p.allowedValues)}`);
    case 'const':
      return new SpecError(path, `expected ${JSON.stringify(p.allowedValue)}`);
    default:
      return new SpecError(path, e.message ?? `fails "${e.keyword}"`);
  }
}

/** The first schema error worth showing: if/then/else only say which branch failed. */
function schemaError(data: unknown): SpecError | undefined {
  const validate = specValidator;
  if (validate(data)) return undefined;
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  // An unknown key first: it is most often a typo of the key another error misses.
  const first = errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0] ?? validate.errors![0]!;
  return describe(first, data);
}

function checkRegex(source: string, path: string, what: string): void {
  try {
    new RegExp(source);
  } catch (e) {
    throw new SpecError(path, `${what} (${(e as Error).message})`);
  }
}

/** A key or its alias: the schema has made sure at most one is given. */
function either<T>(o: Json, key: string, alias: string): [T | undefined, string] {
  return o[key] !== undefined ? [o[key] as T, key] : [o[alias] as T, alias];
}

function strings(v: string | string[]): string[] {
  return typeof v === 'string' ? [v] : v;
}

function trackMode(v: boolean | TrackMode | undefined): TrackMode {
  if (v === undefined || v === true) return 'always';
  if (v === false) return 'never';
  return v;
}

function objectField(name: string, v: Json): PageFieldSpec {
  return {
    name, words: v.words, track: trackMode(v.track), embedded: v.embedded ?? false,
    ...(v.bits !== undefined ? { bits: v.bits } : {}),
  };
}

function wrapper(v: Json): WrapperSeed {
  return { name: v.name, field: v.field, access: v.access ?? 'read', pageArg: either<number>(v, 'objectArg', 'pageArg')[0] ?? 0 };
}

function assertion(v: string | Json): AssertionSpec {
  if (typeof v === 'string') return { name: v, condArg: 0 };
  return { name: v.name, condArg: v.condArg ?? 0, ...(v.means !== undefined ? { means: v.means } : {}) };
}

function genericCode(v: Json): GenericSpec {
  return { files: strings(v.files), functions: strings(v.functions), reason: v.reason };
}

/** The object spec, each given key replacing the base's. `key` is the key the user wrote. */
function objectSpec(o: Json, key: string, base?: PageSpec): PageSpec {
  const fields = o.fields !== undefined ? Object.entries(o.fields as Json).map(([n, f]) => objectField(n, f)) : base!.fields;
  const p: PageSpec = {
    class: o.class ?? base!.class,
    file: o.file ?? base!.file,
    fields,
    wrappers: o.wrappers !== undefined ? (o.wrappers as Json[]).map(wrapper) : base?.wrappers ?? [],
    assertions: o.assertions !== undefined ? (o.assertions as Json[]).map(assertion) : base?.assertions ?? [],
    addressMembers: o.addressMembers ?? base?.addressMembers ?? [],
    neutralSources: o.neutralSources ?? base?.neutralSources ?? [],
  };
  const wordSize = o.wordSize ?? base?.wordSize;
  if (wordSize !== undefined) p.wordSize = wordSize;
  const helpers = o.addressHelpers ?? base?.addressHelpers;
  if (helpers !== undefined) p.addressHelpers = { ...helpers };
  const generic = o.generic !== undefined ? (o.generic as Json[]).map(genericCode) : base?.generic;
  if (generic !== undefined) p.generic = generic;
  const names = new Set(p.fields.map((f) => f.name));
  p.wrappers.forEach((w, i) => {
    if (names.has(w.field)) return;
    // A wrapper inherited through "extends" is not in the user's file: name it, not a path.
    if (o.wrappers === undefined) throw new SpecError(`${key}.fields`, `the built-in wrapper ${w.name}() uses "${w.field}", which is not a field of ${key}.fields (give "wrappers" too)`);
    throw new SpecError(`${key}.wrappers[${i}].field`, `"${w.field}" is not a field of ${key}.fields`);
  });
  return p;
}

function fieldMap(v: Json): FieldMapEntry[] {
  return Object.entries(v).map(([field, fv]) => {
    if (typeof fv === 'string' || Array.isArray(fv)) return { field, to: strings(fv) };
    return { field, to: strings(fv.to), ...(fv.bits !== undefined ? { bits: fv.bits } : {}), ...(fv.note !== undefined ? { note: fv.note } : {}) };
  });
}

function converters(v: Json | undefined): Converters {
  const o = v ?? {};
  return {
    fromPage: either<string[]>(o, 'fromObject', 'fromPage')[0] ?? [],
    toPage: either<string[]>(o, 'toObject', 'toPage')[0] ?? [],
    fromAddress: o.fromAddress ?? [],
    ...(o.toAddress !== undefined ? { toAddress: o.toAddress } : {}),
  };
}

function typeTest(v: string | Json): PageTypeTest {
  if (typeof v === 'string') return { name: v, pageArg: 0, negates: true };
  return { name: v.name, pageArg: either<number>(v, 'objectArg', 'pageArg')[0] ?? 0, negates: v.negates ?? true };
}

function owner(v: string | Json): OwnerSpec {
  if (typeof v === 'string') return { files: [v] };
  return { files: strings(v.files), ...(v.functions !== undefined ? { functions: strings(v.functions) } : {}) };
}

function provenance(v: string | Json, path: string): ProvenanceSpec {
  if (typeof v === 'string') return { call: v };
  const out: ProvenanceSpec = { call: v.call };
  if (v.files !== undefined) out.files = strings(v.files);
  if (v.arg !== undefined) {
    checkRegex(v.arg.matches, `${path}.arg.matches`, 'not a valid regular expression');
    out.arg = { index: v.arg.index ?? 0, matches: v.arg.matches };
  }
  return out;
}

function kind(v: Json, path: string, fieldsKey: string, objectFields: Set<string>): KindSpec {
  const d = v.descriptor as string | Json | null;
  const descriptor: KindSpec['descriptor'] = d === null ? null : typeof d === 'string' ? { class: d } : {
    class: d.class,
    ...(d.file !== undefined ? { file: d.file } : {}),
    ...(d.placement !== undefined ? { placement: d.placement } : {}),
    ...(d.match !== undefined ? { match: d.match } : {}),
    ...(d.variable !== undefined ? { variable: d.variable } : {}),
  };
  const fields = v.fields === undefined ? [] : fieldMap(v.fields);
  for (const f of fields) checkField(f.field, `${path}.fields.${f.field}`, fieldsKey, objectFields);
  const tests = either<Array<string | Json>>(v, 'typeTests', 'pageTypeTests')[0] ?? [];
  return {
    name: v.name, descriptor,
    ...(v.description !== undefined ? { description: v.description } : {}),
    fields,
    converters: converters(v.converters),
    pageTypeTests: tests.map(typeTest),
    owners: (v.owners ?? []).map(owner),
    provenance: ((v.provenance ?? []) as Array<string | Json>).map((x, i) => provenance(x, `${path}.provenance[${i}]`)),
  };
}

function checkField(field: string, path: string, fieldsKey: string, objectFields: Set<string>): void {
  if (!objectFields.has(field)) throw new SpecError(path, `"${field}" is not a field of ${fieldsKey}`);
}

function oracle(o: Json): OracleSpec {
  if (o.compare !== undefined && o.compare !== 'json') checkRegex(o.compare, 'oracle.compare', 'expected "json" or a valid regular expression');
  const extra = { ...(o.compare !== undefined ? { compare: o.compare as string } : {}), ...(o.timeout !== undefined ? { timeout: o.timeout as number } : {}) };
  if (o.run !== undefined) return { run: o.run, ...extra };
  return { entry: o.entry, ...(o.args !== undefined ? { args: o.args } : {}), ...extra };
}

/**
 * Validate parsed spec JSON. `base` is the spec that `"extends": "builtin"` refers to.
 * Throws InputError("invalid spec SOURCE: PATH: problem").
 */
export function validateSpec(json: unknown, source: string, base?: Spec): Spec {
  try {
    const bad = schemaError(json);
    if (bad) throw bad;
    const o = json as Json;
    let parent: Spec | undefined;
    if (o.extends !== undefined) {
      if (!base) throw new SpecError('extends', 'no built-in spec to extend');
      parent = base;
    }
    const [given, written] = either<Json>(o, 'object', 'page');
    const key = given === undefined ? 'object' : written;
    const p = given === undefined ? parent!.page : objectSpec(given, key, parent?.page);
    const objectFields = new Set(p.fields.map((f) => f.name));
    const fieldsKey = `${key}.fields`;
    const own = ((o.kinds ?? []) as Json[]).map((k, i) => kind(k, `kinds[${i}]`, fieldsKey, objectFields));
    const seen = new Set<string>();
    own.forEach((k, i) => {
      if (seen.has(k.name)) throw new SpecError(`kinds[${i}].name`, `duplicate kind "${k.name}"`);
      seen.add(k.name);
    });
    const kinds = parent ? [...parent.kinds.filter((k) => !seen.has(k.name)), ...own] : own;
    if (kinds.length === 0) throw new SpecError('kinds', 'expected at least one kind');
    if (parent) {
      // Inherited kinds must still name fields the (possibly overridden) object spec has.
      for (const k of kinds) {
        if (seen.has(k.name)) continue;
        for (const f of k.fields) {
          if (!objectFields.has(f.field)) throw new SpecError(fieldsKey, `the built-in kind "${k.name}" maps "${f.field}", which is not a field of ${fieldsKey} (replace the kind, or keep the field)`);
        }
      }
    }
    const orc = o.oracle === undefined ? parent?.oracle : oracle(o.oracle);
    const prefix = (o.subjectPrefix as string | undefined) ?? parent?.subjectPrefix;
    return {
      name: o.name ?? parent?.name ?? 'spec', source, page: p, kinds,
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
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`invalid spec ${file}: not JSON (${(e as Error).message})`);
  }
  return validateSpec(json, file, base);
}
