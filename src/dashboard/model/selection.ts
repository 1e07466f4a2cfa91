/** Moving through a list of ids and cycling through choices: the keys of both dashboards. */

/** The id `step` rows from `current`, clamped to the list (j/k; ±Infinity: g/G); from an end when none is. */
export function stepSelection(ids: readonly string[], current: string | null, step: number): string | null {
  if (ids.length === 0) return null;
  if (step === Number.NEGATIVE_INFINITY) return ids[0] ?? null;
  if (step === Number.POSITIVE_INFINITY) return ids.at(-1) ?? null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at < 0) return step > 0 ? (ids[0] ?? null) : (ids.at(-1) ?? null);
  return ids[Math.min(ids.length - 1, Math.max(0, at + step))] ?? null;
}

/** The choice `step` places after `current`, wrapping round (`s` for the sort, `[`/`]` for the swarm). */
export const cycle = <T>(list: readonly T[], current: T, step: number): T =>
  list[(list.indexOf(current) + step + list.length) % list.length] as T;
