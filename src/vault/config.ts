// The vault's configuration (vault.yaml in the data directory), validated with errors that point at the
// line. Only the vault host edits it; nothing on the network can change it.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { AirgapError, fail, fromSystemError } from '../errors.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import { parseDuration } from './duration.js';

const duration = z.string().refine((s) => /^\s*\d+(?:\.\d+)?\s*[smhdwy]\s*$/.test(s), {
  message: 'expected a duration such as 30d, 12h, 1y',
});

const size = z.union([
  z.number().int().positive(),
  z.string().regex(/^\d+\s*(B|KiB|MiB|GiB)$/, 'expected a size such as 128MiB'),
]);

const schema = z.object({
  vaultId: z.string().min(1),
  name: z.string().min(1),
  listen: z.string().regex(/^.+:\d+$/, 'expected HOST:PORT'),
  retention: z.object({
    default: duration,
    tiers: z.array(z.object({ tag: z.string().min(1), keep: duration })).default([]),
  }),
  unreferencedGrace: duration,
  clockJumpLimit: duration,
  limits: z.object({
    maxObjectSize: size,
    requestTimeout: duration,
    authFailuresPerMinute: z.number().int().positive(),
  }),
  deadman: z.object({
    enabled: z.boolean(),
    command: z.array(z.string().min(1)).min(1),
    idle: duration,
    maxWindow: duration,
  }),
});

export type VaultConfigFile = z.infer<typeof schema>;

/** The config with every duration and size resolved to numbers. */
export interface VaultConfig {
  vaultId: string;
  name: string;
  listen: string;
  retention: { defaultMs: number; tiers: { tag: string; keepMs: number }[] };
  unreferencedGraceMs: number;
  clockJumpLimitMs: number;
  limits: { maxObjectSize: number; requestTimeoutMs: number; authFailuresPerMinute: number };
  deadman: { enabled: boolean; command: string[]; idleMs: number; maxWindowMs: number };
}

export function defaultConfigFile(vaultId: string, name: string): VaultConfigFile {
  return {
    vaultId,
    name,
    listen: '0.0.0.0:8443',
    retention: {
      default: '30d',
      tiers: [
        { tag: 'yearly', keep: '7y' },
        { tag: 'monthly', keep: '365d' },
        { tag: 'weekly', keep: '90d' },
        { tag: 'daily', keep: '30d' },
      ],
    },
    unreferencedGrace: '7d',
    clockJumpLimit: '400d',
    limits: { maxObjectSize: '256MiB', requestTimeout: '5m', authFailuresPerMinute: 10 },
    deadman: { enabled: true, command: ['systemctl', 'poweroff'], idle: '30m', maxWindow: '6h' },
  };
}

function parseSize(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)$/.exec(v)!;
  const mult = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }[m[2] as 'B'];
  return Number(m[1]) * mult;
}

export function resolveConfig(f: VaultConfigFile): VaultConfig {
  return {
    vaultId: f.vaultId,
    name: f.name,
    listen: f.listen,
    retention: {
      defaultMs: parseDuration(f.retention.default),
      tiers: f.retention.tiers.map((t) => ({ tag: t.tag, keepMs: parseDuration(t.keep) })),
    },
    unreferencedGraceMs: parseDuration(f.unreferencedGrace),
    clockJumpLimitMs: parseDuration(f.clockJumpLimit),
    limits: {
      maxObjectSize: parseSize(f.limits.maxObjectSize),
      requestTimeoutMs: parseDuration(f.limits.requestTimeout),
      authFailuresPerMinute: f.limits.authFailuresPerMinute,
    },
    deadman: {
      enabled: f.deadman.enabled,
      command: f.deadman.command,
      idleMs: parseDuration(f.deadman.idle),
      maxWindowMs: parseDuration(f.deadman.maxWindow),
    },
  };
}

/** Parses vault.yaml text; errors name the file, the line and the field. */
export function parseConfigText(text: string, file: string): VaultConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    fail('CONFIG', `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
  }
  const r = schema.safeParse(doc.toJS());
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    // Point at the deepest node that exists on the path (a missing field points at its parent).
    let line: number | undefined;
    for (let n = path.length; n >= 0 && line === undefined; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) line = lineCounter.linePos(range[0]).line;
    }
    fail('CONFIG', `${file}:${line ?? 1}: ${path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return resolveConfig(r.data);
}

export async function loadVaultConfig(file: string): Promise<VaultConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new AirgapError('CONFIG', `no vault configuration at ${file}: run \`airgap vault init\` first`);
    }
    throw fromSystemError(e, `reading ${file}`);
  }
  return parseConfigText(text, file);
}

export async function writeConfigFile(file: string, cfg: VaultConfigFile): Promise<void> {
  const header = '# airgap vault configuration. Retention applies to snapshots received after a change.\n';
  await writeFileAtomic(file, header + stringify(cfg), { mode: 0o600 });
}
