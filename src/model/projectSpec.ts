/**
 * The spec a project keeps for itself (what `memdesc init` writes), used when no --spec is given:
 * by the commands and by library passes that find their project themselves (track).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PROJECT_SPEC = 'memdesc.spec.json';

/**
 * The spec file for a project: --spec FILE, else the project's own memdesc.spec.json, else none
 * (the built-in spec). `project` is a directory or a tsconfig file; one that does not exist has none.
 */
export function projectSpecFile(spec: string | undefined, project: string | undefined): string | undefined {
  if (spec !== undefined || project === undefined) return spec;
  let dir: string;
  try {
    dir = statSync(project).isDirectory() ? project : dirname(project);
  } catch {
    return undefined;
  }
  const own = join(dir, PROJECT_SPEC);
  return existsSync(own) ? own : undefined;
}
