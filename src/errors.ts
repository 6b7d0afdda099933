/**
 * Typed errors shared by every library module. The CLI maps them to exit codes:
 * UsageError/InputError -> 2 (bad usage or bad input), CheckFailed -> 1.
 */
export class MemdescError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments. */
export class UsageError extends MemdescError {}

/** Bad input: missing path, invalid spec, unparsable file the command cannot do without. */
export class InputError extends MemdescError {}

/** The check the command performs failed (differences, ratchet broken). */
export class CheckFailed extends MemdescError {}
