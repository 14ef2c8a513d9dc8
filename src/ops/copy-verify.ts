// Verifies a copy from the destination's side: lists it again and confirms that every object the copy
// expected is there with the expected size. The destination already checked each object's hash when it
// accepted it (the vault refuses a body whose SHA-256 differs from its name); this closes the loop on
// objects that were skipped as present or whose confirmation was lost in an interruption.
import { AirgapError } from '../errors.js';
import type { Backend, ObjectType } from '../storage/backend.js';
import type { CopyItem } from './copy.js';

export interface CopyVerification {
  objects: number;
  bytes: number;
  missing: string[];
  wrongSize: string[];
}

export async function verifyCopy(dst: Backend, expected: readonly CopyItem[]): Promise<CopyVerification> {
  const types = [...new Set(expected.map((i) => i.type))];
  const remote = new Map<string, number>();
  for (const t of types as ObjectType[])
    for (const i of await dst.list(t)) remote.set(`${t}/${i.name}`, i.size);
  const out: CopyVerification = { objects: 0, bytes: 0, missing: [], wrongSize: [] };
  for (const i of expected) {
    const k = `${i.type}/${i.name}`;
    const size = remote.get(k);
    if (size === undefined) out.missing.push(k);
    else if (size !== i.size) out.wrongSize.push(k);
    else {
      out.objects++;
      out.bytes += size;
    }
  }
  return out;
}

/** Throws INTEGRITY with the first few offenders when the verification found a problem. */
export function assertVerified(v: CopyVerification): void {
  const bad = [...v.missing.map((k) => `${k} missing`), ...v.wrongSize.map((k) => `${k} has the wrong size`)];
  if (bad.length > 0)
    throw new AirgapError(
      'INTEGRITY',
      `verify failed on the destination: ${bad.slice(0, 3).join(', ')}${bad.length > 3 ? ` (+${bad.length - 3} more)` : ''}`,
      {
        missing: v.missing.length,
        wrongSize: v.wrongSize.length,
      },
    );
}
