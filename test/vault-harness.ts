// Shared by the vault tests: a real vault daemon started through the CLI (`vault serve`) as its own
// process group, and an attacker's raw HTTPS client that pins the certificate like a real client would.
/* eslint-disable @typescript-eslint/no-explicit-any -- test harness: YAML config edits and raw JSON replies are untyped on purpose */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFile, writeFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse, stringify } from 'yaml';
import { CLI_MAIN, runCli, scratchDir } from './helpers/cli.js';

export interface TestVault {
  dir: string;
  data: string;
  fingerprint: string;
  cleanup(): Promise<void>;
}

/** Removes a scratch dir even where the vault made files immutable or append-only. */
async function removeTree(path: string): Promise<void> {
  try {
    execFileSync('chattr', ['-R', '-i', '-a', path], { stdio: 'ignore' });
  } catch {
    // not supported here: nothing was made immutable
  }
  await rm(path, { recursive: true, force: true });
}

export async function makeVault(
  opts: { repos?: string[]; config?: (c: Record<string, any>) => void } = {},
): Promise<TestVault> {
  const s = await scratchDir('airgap-vault-');
  const data = join(s.path, 'vault');
  const marker = join(s.path, 'shutdown-marker');
  const script = join(s.path, 'shutdown.sh');
  await writeFile(script, `#!/bin/sh\necho "$(date +%s%N) $*" >> '${marker}'\n`, { mode: 0o755 });
  const r = await runCli([
    'vault',
    '--data',
    data,
    'init',
    '--json',
    '--name',
    'test-vault',
    '--repo',
    (opts.repos ?? ['main']).join(','),
    '--shutdown-command',
    script,
  ]);
  if (r.code !== 0) throw new Error(`vault init failed: ${r.stderr}`);
  const fingerprint = (JSON.parse(r.stdout) as { fingerprint: string }).fingerprint;
  if (opts.config) await editConfig(data, opts.config);
  return { dir: s.path, data, fingerprint, cleanup: () => removeTree(s.path) };
}

export async function editConfig(data: string, fn: (c: Record<string, any>) => void): Promise<void> {
  const file = join(data, 'vault.yaml');
  const c = parse(await readFile(file, 'utf8')) as Record<string, any>;
  fn(c);
  await writeFile(file, stringify(c));
}

export async function addToken(
  data: string,
  role: string,
  repos = 'main',
  extra: string[] = [],
): Promise<string> {
  const r = await runCli([
    'vault',
    '--data',
    data,
    'token',
    'add',
    '--json',
    '--role',
    role,
    '--repo',
    repos,
    ...extra,
  ]);
  if (r.code !== 0) throw new Error(`token add failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

export interface ServedVault {
  port: number;
  url: string;
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL the whole process group and wait. */
  kill(): Promise<void>;
}

export function serveVault(data: string, env: Record<string, string> = {}): Promise<ServedVault> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [CLI_MAIN, 'vault', '--data', data, 'serve', '--json', '--listen', '127.0.0.1:0'],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      },
    );
    const stdout: string[] = [];
    const stderr: string[] = [];
    proc.stderr!.on('data', (d) => stderr.push(String(d)));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      reject(new Error(`vault did not start: ${stderr.join('')}`));
    }, 20_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vault exited (${code}) before listening: ${stderr.join('')}`));
    });
    const signal = async (sig: NodeJS.Signals): Promise<void> => {
      try {
        process.kill(sig === 'SIGKILL' ? -proc.pid! : proc.pid!, sig);
      } catch {
        return;
      }
      await exited;
    };
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      stdout.push(line);
      const m = JSON.parse(line) as { event: string; port: number; url: string };
      if (m.event === 'listening') {
        clearTimeout(timer);
        resolve({
          port: m.port,
          url: m.url,
          proc,
          stdout,
          stderr,
          exited,
          stop: () => signal('SIGTERM'),
          kill: () => signal('SIGKILL'),
        });
      }
    });
  });
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

/** The attacker's client: raw HTTPS, any method, path, header and body it likes (certificate pinned). */
export function raw(
  port: number,
  fingerprint: string,
  o: {
    method: string;
    path: string;
    token?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
  },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method: o.method,
        path: o.path,
        headers,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        const fp = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        if (fp !== fingerprint) return reject(new Error('fingerprint mismatch'));
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString()),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

export async function vaultCli(data: string, args: string[], env: Record<string, string> = {}) {
  return runCli(['vault', '--data', data, ...args], { env });
}
