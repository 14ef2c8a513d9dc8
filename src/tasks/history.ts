// The history of replication reports: one JSON file per run under <stateDir>/history, named so that a
// directory listing is in time order. Written atomically; a reader never sees half a report.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { writeFileAtomic } from '../util/durable-fs.js';
import type { ReplicationReport } from './report.js';

export function historyDir(stateDir: string): string {
  return join(stateDir, 'history');
}

export async function saveReport(stateDir: string, r: ReplicationReport): Promise<string> {
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const path = join(historyDir(stateDir), `${stamp}-${r.runId}.json`);
  await writeFileAtomic(path, JSON.stringify(r, null, 2) + '\n', { mode: 0o600 });
  return path;
}

/** The newest `limit` reports, newest first. */
export async function listReports(stateDir: string, limit = 20): Promise<ReplicationReport[]> {
  let names: string[];
  try {
    names = await readdir(historyDir(stateDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromSystemError(e, 'listing the replication history');
  }
  const picked = names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, limit);
  const out: ReplicationReport[] = [];
  for (const n of picked) {
    try {
      out.push(JSON.parse(await readFile(join(historyDir(stateDir), n), 'utf8')) as ReplicationReport);
    } catch {
      // a foreign or damaged file is not a report
    }
  }
  return out;
}
