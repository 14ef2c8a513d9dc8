// Exclude/include patterns as restic and rsync users know them: `*` within a name, `**` across
// directories, `?` one character. A pattern without a slash matches a name anywhere; with a slash it
// matches from the start of the path.

export type Matcher = (path: string) => boolean;

function toRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        re += '.*';
        i++;
        if (pattern[i + 1] === '/') i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function compileMatcher(patterns: readonly string[]): Matcher {
  const anchored: RegExp[] = [];
  const names: RegExp[] = [];
  for (const p of patterns) {
    const q = p.endsWith('/') && p.length > 1 ? p.slice(0, -1) : p;
    if (q.includes('/')) anchored.push(toRegex(q.startsWith('/') ? q : `**/${q}`));
    else names.push(toRegex(q));
  }
  return (path: string) => {
    if (anchored.some((r) => r.test(path))) return true;
    const base = path.slice(path.lastIndexOf('/') + 1);
    return names.some((r) => r.test(base));
  };
}
