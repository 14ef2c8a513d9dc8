// The storage backend interface: the only thing the repository layer knows about where bytes live.
// Every object is written once (put-if-absent) under a name that is the SHA-256 of its bytes (except
// the single `config` object), so any holder can verify what it stores without the key.

export type ObjectType = 'config' | 'keys' | 'data' | 'index' | 'snapshots' | 'locks';
export const OBJECT_TYPES: readonly ObjectType[] = ['config', 'keys', 'data', 'index', 'snapshots', 'locks'];

export interface ObjectInfo {
  name: string;
  size: number;
}

/**
 * Extra facts that travel with a snapshot object so a keyless holder (the vault) can enforce retention
 * and prune safely: `refs` names every object (`data/<id>`, `index/<id>`) the snapshot needs; `tags` are
 * the snapshot's tags, used only to pick a retention tier. A backend that has no use for them ignores them.
 */
export interface SnapshotMeta {
  refs: string[];
  tags: string[];
}

export interface PutOptions {
  snapshot?: SnapshotMeta;
}

export type PutResult = 'created' | 'exists';

export interface StagedObject {
  /** Appends bytes; the caller may reuse `data` when it returns. */
  write(data: Uint8Array): void;
  commit(name: string): Promise<PutResult>;
  abort(): void;
}

export interface BackendCapabilities {
  /** false on the vault: its network API has no delete. */
  readonly delete: boolean;
  /** false where objects cannot be replaced (everything except keys/locks on a local repository). */
  readonly locks: boolean;
}

export interface Backend {
  readonly location: string;
  readonly capabilities: BackendCapabilities;
  /** Does the repository exist (is there a `config`)? */
  exists(): Promise<boolean>;
  /** Creates the directory structure (local) or checks the remote is ready; idempotent. */
  create(): Promise<void>;
  /**
   * Atomic, durable put-if-absent. Resolves once the bytes are durable. An existing object with identical
   * bytes gives 'exists'; with different bytes it throws OBJECT_EXISTS_DIFFERENT.
   */
  put(type: ObjectType, name: string, data: Uint8Array, options?: PutOptions): Promise<PutResult>;
  /**
   * Optional: an object written piece by piece (a pack as it is built), put under its name once
   * complete, with put()'s guarantees. Only for objects named by the SHA-256 of their bytes: an existing
   * object of that name is taken as identical ('exists'). Lets a backup keep no pack in memory.
   */
  stage?(type: ObjectType): StagedObject;
  get(type: ObjectType, name: string): Promise<Buffer>;
  getRange(type: ObjectType, name: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Optional: reads up to `target.length` bytes of an object from `offset` into `target` (no allocation),
   * resolving to how many were read (fewer only at the end of the object). Lets a bulk reader (the copy)
   * reuse its buffers: on a VM, freshly allocated memory costs far more than the read itself.
   */
  readInto?(type: ObjectType, name: string, offset: number, target: Uint8Array): Promise<number>;
  stat(type: ObjectType, name: string): Promise<ObjectInfo | null>;
  list(type: ObjectType): Promise<ObjectInfo[]>;
  /** Throws NOT_SUPPORTED where capabilities.delete is false. */
  delete(type: ObjectType, name: string): Promise<void>;
  close(): Promise<void>;
  /**
   * Removes temporary files a crashed writer left behind (older than `olderThanMs`); returns how many.
   * Only backends that have such files implement it. Callers hold the exclusive lock.
   */
  sweepTemporary?(olderThanMs: number): Promise<number>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Object names are lowercase hex SHA-256 (or exactly `config` for the config type). */
export function isValidObjectName(type: ObjectType, name: string): boolean {
  return type === 'config' ? name === 'config' : HEX64.test(name);
}

export function isObjectType(s: string): s is ObjectType {
  return (OBJECT_TYPES as readonly string[]).includes(s);
}
