// Parses the report of GNU time (`/usr/bin/time -v -o FILE`). Its rusage covers the measured command and
// every child it waited for, which process.resourceUsage() in the bench itself cannot see.

export interface TimeReport {
  wallSeconds: number;
  userSeconds: number;
  sysSeconds: number;
  maxRssKiB: number;
  /** null when the command was killed by a signal (GNU time then reports no exit status). */
  exitStatus: number | null;
}

function field(text: string, label: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith(label)) {
      const i = t.lastIndexOf(': ');
      if (i >= 0) return t.slice(i + 2).trim();
    }
  }
  return undefined;
}

/** "h:mm:ss" or "m:ss.cc" → seconds. */
export function parseClock(value: string): number {
  const parts = value.split(':').map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !Number.isFinite(p))) {
    throw new Error(`unreadable elapsed time "${value}" in GNU time output`);
  }
  return parts.reduce((acc, p) => acc * 60 + p, 0);
}

function num(text: string, label: string): number {
  const v = field(text, label);
  const n = v === undefined ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new Error(`GNU time output has no usable "${label}"`);
  return n;
}

export function parseTimeV(text: string): TimeReport {
  const elapsed = field(text, 'Elapsed (wall clock) time');
  if (elapsed === undefined) throw new Error('GNU time output has no elapsed time');
  const status = field(text, 'Exit status');
  return {
    wallSeconds: parseClock(elapsed),
    userSeconds: num(text, 'User time (seconds)'),
    sysSeconds: num(text, 'System time (seconds)'),
    maxRssKiB: num(text, 'Maximum resident set size (kbytes)'),
    exitStatus: status === undefined || /terminated by signal/.test(text) ? null : Number(status),
  };
}
