// Code-unit order for sorting timestamps, IDs and names. localeCompare would load ICU's collator
// (~3 MiB of resident memory, and slower) to order strings whose order is plain anyway.
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
