// Which snapshots a replication sends: all, the newest per source (host + paths, as restic groups
// them), or those carrying any of the given tags.
import type { SelectionConfig } from '../config/plans.js';
import { compareStrings } from '../util/compare.js';

export interface SelectableSnapshot {
  id: string;
  time: string;
  host: string;
  paths: string[];
  tags: string[];
}

export function selectSnapshots<S extends SelectableSnapshot>(all: readonly S[], sel: SelectionConfig): S[] {
  const sorted = [...all].sort((a, b) => compareStrings(a.time, b.time) || compareStrings(a.id, b.id));
  switch (sel.select) {
    case 'all':
      return sorted;
    case 'tags':
      return sorted.filter((s) => s.tags.some((t) => sel.tags.includes(t)));
    case 'latest-per-source': {
      const latest = new Map<string, S>();
      for (const s of sorted) latest.set(JSON.stringify([s.host, [...s.paths].sort()]), s);
      return [...latest.values()].sort(
        (a, b) => compareStrings(a.time, b.time) || compareStrings(a.id, b.id),
      );
    }
  }
}
