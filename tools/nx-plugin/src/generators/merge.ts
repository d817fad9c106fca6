/** Merging for generators that may run again over files a person has edited. */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * `existing` plus the fields of `proposed` it lacks, recursively for objects present in both.
 * Never replaces a value that is there (a person's edit wins, also over a different type); pure.
 * Returns the merged object and the dotted paths that were added.
 */
export function addMissing(existing: Json, proposed: Json, prefix = ''): { value: Json; added: string[] } {
  const value: Json = { ...existing };
  const added: string[] = [];
  for (const [key, next] of Object.entries(proposed)) {
    if (next === undefined) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (!(key in value)) {
      value[key] = next;
      added.push(path);
    } else if (isObject(value[key]) && isObject(next)) {
      const inner = addMissing(value[key] as Json, next, path);
      value[key] = inner.value;
      added.push(...inner.added);
    }
  }
  return { value, added };
}
