// Extended attributes. Node has no xattr API, so we use the `attr` tools in bulk: one `getfattr -R`
// per backup path (not one process per file) and one `setfattr --restore` per restore. Where the tools
// are missing, extended attributes are not saved or restored, and the CLI says so once.
import { spawn } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type XattrReader = (path: string) => Record<string, string> | undefined;

function run(
  cmd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; missing: boolean }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    c.stdout.setEncoding('utf8');
    c.stdout.on('data', (d: string) => (stdout += d));
    c.on('error', () => resolve({ code: null, stdout: '', missing: true }));
    c.on('close', (code) => resolve({ code, stdout, missing: false }));
  });
}

/** Parses `getfattr -d -e base64 --absolute-names` output: "# file: PATH" then name=0sBASE64 lines. */
export function parseGetfattr(out: string): Map<string, Record<string, string>> {
  const map = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('# file: ')) {
      cur = {};
      map.set(unescapeAttrPath(line.slice(8)), cur);
    } else if (cur && line.includes('=')) {
      const i = line.indexOf('=');
      const v = line.slice(i + 1);
      cur[line.slice(0, i)] = v.startsWith('0s')
        ? v.slice(2)
        : Buffer.from(v.replace(/^"|"$/g, '')).toString('base64');
    }
  }
  return map;
}

// getfattr escapes unusual characters in names as octal (\012); undo it.
function unescapeAttrPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export async function loadXattrs(paths: string[]): Promise<{ reader: XattrReader; available: boolean }> {
  const map = new Map<string, Record<string, string>>();
  for (const p of paths) {
    const r = await run('getfattr', [
      '-R',
      '-P',
      '-h',
      '-d',
      '-m',
      '-',
      '-e',
      'base64',
      '--absolute-names',
      '--',
      p,
    ]);
    if (r.missing) return { reader: () => undefined, available: false };
    for (const [k, v] of parseGetfattr(r.stdout)) if (Object.keys(v).length) map.set(k, v);
  }
  return { reader: (path) => map.get(path), available: true };
}

export interface XattrRestore {
  path: string;
  xattrs: Record<string, string>;
}

/** Applies extended attributes in one `setfattr --restore`; returns false when the tool is missing. */
export async function restoreXattrs(items: XattrRestore[]): Promise<boolean> {
  if (items.length === 0) return true;
  const dump = items
    .map(
      (i) =>
        `# file: ${i.path.replace(/[\\\n]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'))}\n${Object.entries(
          i.xattrs,
        )
          .map(([k, v]) => `${k}=0s${v}`)
          .join('\n')}\n`,
    )
    .join('\n');
  const file = join(tmpdir(), `airgap-xattrs-${randomBytes(6).toString('hex')}`);
  await writeFile(file, dump, { mode: 0o600 });
  try {
    const r = await run('setfattr', ['-h', `--restore=${file}`]);
    return !r.missing;
  } finally {
    await rm(file, { force: true });
  }
}
