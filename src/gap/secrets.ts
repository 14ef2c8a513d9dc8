// Where BMC passwords come from: an environment variable named in the config, or a file that only its
// owner can read. They are never taken from the config itself or argv, and never put in a message.
import { readFileSync, statSync } from 'node:fs';
import { fail } from '../errors.js';

export interface SecretSource {
  passwordEnv?: string | undefined;
  passwordFile?: string | undefined;
}

/** Returns the password, or undefined when the target names no source; throws CONFIG on a bad source. */
export function readPassword(target: string, src: SecretSource, env: NodeJS.ProcessEnv): string | undefined {
  if (src.passwordEnv) {
    const v = env[src.passwordEnv];
    if (v === undefined || v === '')
      fail('CONFIG', `target ${target}: environment variable ${src.passwordEnv} (passwordEnv) is not set`);
    return v;
  }
  if (src.passwordFile) {
    let mode: number;
    try {
      mode = statSync(src.passwordFile).mode;
    } catch {
      fail('CONFIG', `target ${target}: cannot read the password file ${src.passwordFile}`);
    }
    // Same rule as ssh for private keys: readable by group or others means it may already have leaked.
    if ((mode & 0o077) !== 0)
      fail(
        'CONFIG',
        `target ${target}: the password file ${src.passwordFile} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    let text: string;
    try {
      text = readFileSync(src.passwordFile, 'utf8');
    } catch {
      fail('CONFIG', `target ${target}: cannot read the password file ${src.passwordFile}`);
    }
    const pw = text.replace(/\r?\n$/, '');
    if (pw === '') fail('CONFIG', `target ${target}: the password file ${src.passwordFile} is empty`);
    return pw;
  }
  return undefined;
}
