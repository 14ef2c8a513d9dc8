import type { Command } from 'commander';
import { fail } from '../../errors.js';
import { addKey, kdfFromEnv, listKeys } from '../../repository/keys.js';
import { globals, openRepo, readNewPassword } from '../context.js';
import { printJson, printLine } from '../output.js';

export function registerKey(program: Command): void {
  const key = program.command('key').description('manage the passphrases that open the repository');
  key
    .command('list')
    .description('list the keys')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const keys = await listKeys(repo.backend);
      if (g.json) printJson(keys.map((k) => ({ ...k, current: k.id === repo.keyId })));
      else
        for (const k of keys)
          printLine(
            `${k.id === repo.keyId ? '*' : ' '} ${k.id.slice(0, 8)}  ${k.created.slice(0, 19)}  ${k.user}@${k.host}`,
          );
    });
  key
    .command('add')
    .description('add a passphrase (from AIRGAP_NEW_PASSWORD(_FILE) or --new-password-file)')
    .option('--new-password-file <file>', 'read the new passphrase from a file')
    .action(async (o: { newPasswordFile?: string }, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const pw = await readNewPassword(o.newPasswordFile);
      if (!pw) fail('NO_PASSWORD', 'an empty passphrase is not allowed');
      const id = await addKey(repo.backend, repo.master, pw, kdfFromEnv());
      if (g.json) printJson({ id });
      else printLine(`added key ${id.slice(0, 8)}`);
    });
  key
    .command('remove')
    .description('remove a key (not the one in use, not the last one)')
    .argument('<id>', 'key ID or prefix')
    .action(async (prefix: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const repo = await openRepo(cmd);
      const keys = await listKeys(repo.backend);
      const m = keys.filter((k) => k.id.startsWith(prefix));
      if (m.length !== 1)
        fail(
          m.length ? 'USAGE' : 'NOT_FOUND',
          m.length ? `key prefix ${prefix} is ambiguous` : `no key ${prefix}`,
        );
      const k = m[0]!;
      if (k.id === repo.keyId)
        fail('USAGE', 'refusing to remove the key in use: open the repository with another passphrase first');
      await repo.backend.delete('keys', k.id);
      if (g.json) printJson({ removed: k.id });
      else printLine(`removed key ${k.id.slice(0, 8)}`);
    });
}
