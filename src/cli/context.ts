// What every repository command needs: where the repository is and its passphrase. The passphrase comes
// from AIRGAP_PASSWORD, --password-file or AIRGAP_PASSWORD_FILE, or a prompt on a terminal — never from
// a command-line argument, where every user of the machine could read it.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fail } from '../errors.js';
import { openBackend } from '../storage/open.js';
import type { Backend } from '../storage/backend.js';
import { openRepository, type Repository } from '../repository/repository.js';
import type { OutputOptions } from './output.js';

export interface GlobalOptions extends OutputOptions {
  repo?: string;
  passwordFile?: string;
}

export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as GlobalOptions;
  return { ...o, json: !!o.json, quiet: !!o.quiet };
}

export function repoLocation(g: GlobalOptions): string {
  const loc = g.repo ?? process.env.AIRGAP_REPOSITORY;
  if (!loc) fail('USAGE', 'no repository given: use --repo or set AIRGAP_REPOSITORY');
  return loc;
}

function readSecretFile(path: string, what: string): string {
  let s: string;
  try {
    s = readFileSync(path, 'utf8');
  } catch {
    return fail('USAGE', `cannot read the ${what} file ${path}`);
  }
  return s.replace(/\r?\n$/, '');
}

async function prompt(question: string): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Do not echo what is typed.
  const out = rl as unknown as { _writeToOutput: (s: string) => void };
  let asked = false;
  out._writeToOutput = (s: string) => {
    if (!asked) {
      process.stderr.write(s);
      asked = true;
    }
  };
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    }),
  );
}

export async function readPassword(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.AIRGAP_PASSWORD) return env.AIRGAP_PASSWORD;
  const file = g.passwordFile ?? env.AIRGAP_PASSWORD_FILE;
  if (file) return readSecretFile(file, 'password');
  if (process.stdin.isTTY) return prompt('repository passphrase: ');
  return fail(
    'NO_PASSWORD',
    'no passphrase: set AIRGAP_PASSWORD or AIRGAP_PASSWORD_FILE, or use --password-file',
  );
}

/** The passphrase for a new key (init, key add): AIRGAP_NEW_PASSWORD(_FILE), --new-password-file, or a prompt. */
export async function readNewPassword(
  fileOpt: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (env.AIRGAP_NEW_PASSWORD) return env.AIRGAP_NEW_PASSWORD;
  const file = fileOpt ?? env.AIRGAP_NEW_PASSWORD_FILE;
  if (file) return readSecretFile(file, 'new password');
  if (process.stdin.isTTY) {
    const a = await prompt('new passphrase: ');
    const b = await prompt('repeat the new passphrase: ');
    if (a !== b) fail('USAGE', 'the passphrases do not match');
    return a;
  }
  return fail(
    'NO_PASSWORD',
    'no new passphrase: set AIRGAP_NEW_PASSWORD or AIRGAP_NEW_PASSWORD_FILE, or use --new-password-file',
  );
}

export async function openBackendFor(cmd: Command): Promise<Backend> {
  return openBackend(repoLocation(globals(cmd)));
}

export async function openRepo(cmd: Command): Promise<Repository> {
  const g = globals(cmd);
  const backend = await openBackend(repoLocation(g));
  return openRepository(backend, await readPassword(g));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
