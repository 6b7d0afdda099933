/**
 * The pipeline's fixed names, in a module of their own (no imports at run time): `memdesc start
 * --help` words its options with them without loading the pipeline.
 */
import type { Person } from '../series/identity.ts';

/** The branch the series is committed on in the scratch repository. */
export const BRANCH = 'memdesc/all';

/** Who the demo series is by on a machine whose git has no identity (and no author given): labelled as such. */
export const DEMO_IDENTITY: Person = { name: 'memdesc demo', email: 'no-identity@memdesc.invalid' };
