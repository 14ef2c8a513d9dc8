// Durations in the vault's config and CLI: `90s`, `30m`, `12h`, `30d`, `1y` (a year is 365 days). Retention
// is counted in these units on the vault's own clock.
import { fail } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdwy])\s*$/.exec(text);
  if (!m) fail('CONFIG', `invalid ${what} "${text}": use a number and a unit s, m, h, d, w or y (e.g. 30d)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

export function formatDurationShort(ms: number): string {
  for (const u of ['y', 'd', 'h', 'm'] as const) {
    const v = ms / UNIT_MS[u]!;
    if (v >= 1 && Number.isInteger(v)) return `${v}${u}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
