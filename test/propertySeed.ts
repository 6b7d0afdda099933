/**
 * The seed of a property test: FC_SEED when set (to replay a failure), else a new one, printed
 * with the test's name so that a failing run can be repeated.
 */
export function propertySeed(name: string): number {
  const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
  console.log(`${name} property seed: ${seed} (FC_SEED=${seed} to replay)`);
  return seed;
}
