// Loads airgap.yaml: YAML syntax errors and schema errors both point at the file, line and column, so a
// user can fix the config without guessing. Relative paths in the config are relative to the file.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { AirgapError, fail } from '../errors.js';
import { configSchema, type AirgapConfig } from './schema.js';
import type { TargetConfig } from './targets.js';

export interface ConfigIssue {
  path: string;
  line: number;
  column: number;
  message: string;
}

export const DEFAULT_CONFIG_PATH = '/etc/airgap/airgap.yaml';

export async function loadConfig(path: string): Promise<AirgapConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fail('CONFIG', code === 'ENOENT' ? `config file ${path} not found` : `cannot read config file ${path}`);
  }
  return parseConfig(text, path);
}

/** Parses config text; `file` is used in messages and to resolve relative paths. */
export function parseConfig(text: string, file: string): AirgapConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((err) => {
      const pos = lc.linePos(err.pos[0]);
      return {
        path: '',
        line: pos.line,
        column: pos.col,
        message: err.message.split('\n')[0] ?? err.message,
      };
    });
    throw configError(file, issues);
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success)
    throw configError(
      file,
      parsed.error.issues.map((i) => locateIssue(doc, lc, i)),
    );
  const config = parsed.data;
  const base = dirname(resolve(file));
  for (const [name, t] of Object.entries(config.targets)) config.targets[name] = resolveTarget(name, t, base);
  return config;
}

function resolveTarget(name: string, t: TargetConfig, base: string): TargetConfig {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const out = { ...t, name };
  if ('passwordFile' in out && out.passwordFile) out.passwordFile = abs(out.passwordFile);
  if (out.driver === 'script') {
    out.open = abs(out.open);
    out.close = abs(out.close);
    out.status = abs(out.status);
    if (out.forceOff) out.forceOff = abs(out.forceOff);
    if (out.postStatus) out.postStatus = abs(out.postStatus);
  }
  return out;
}

function configError(file: string, issues: ConfigIssue[]): AirgapError {
  const lines = issues.map(
    (i) => `${file}:${i.line}:${i.column}: ${i.path ? i.path + ': ' : ''}${i.message}`,
  );
  const first = issues[0];
  return new AirgapError('CONFIG', `invalid config\n${lines.join('\n')}`, {
    file,
    line: first?.line,
    column: first?.column,
    issues,
  });
}

/** Finds the deepest YAML node that exists on the issue's path, to report its line. */
function locateIssue(doc: Document, lc: LineCounter, issue: z.core.$ZodIssue): ConfigIssue {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  let offset = 0;
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)) {
      offset = (node.range as number[])[0] ?? 0;
      // An unknown key: point at the key itself rather than at the map that holds it.
      if (n === path.length && issue.code === 'unrecognized_keys' && isMap(node)) {
        const bad = node.items.find((it) => isScalar(it.key) && issue.keys.includes(String(it.key.value)));
        if (bad && isScalar(bad.key) && bad.key.range) offset = bad.key.range[0];
      }
      break;
    }
  }
  const pos = lc.linePos(offset);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys')
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union' && path[path.length - 1] === 'driver')
    message = 'driver must be one of redfish, ipmi, script, wol';
  return { path: path.join('.'), line: pos.line, column: pos.col, message };
}
