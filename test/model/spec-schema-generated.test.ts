/**
 * The spec validator memdesc runs is code ajv generated from docs/schemas/spec.schema.json
 * (src/model/spec-schema.validate.ts): it must be what the schema gives today, or the published
 * schema and the validation would drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSpecValidator, GENERATED_FILE } from '../../src/model/spec-schema-gen.ts';

describe('src/model/spec-schema.validate.ts', () => {
  it('is generated from the current schema (else: node bin/run-ts.mjs src/model/spec-schema-gen.ts --write)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8') === generateSpecValidator(), 'stale: node bin/run-ts.mjs src/model/spec-schema-gen.ts --write').toBe(true);
  });
});
