import type { Command } from 'commander';
import { initRepository } from '../../repository/repository.js';
import { globals, openBackendFor, readNewPassword, readPassword } from '../context.js';
import { printJson, printLine } from '../output.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new repository')
    .option('--compression <level>', 'zstd level 0-19 (0: off)', '3')
    .action(async (opts: { compression: string }, cmd: Command) => {
      const g = globals(cmd);
      const backend = await openBackendFor(cmd);
      // Scripts give the passphrase as for every other verb; a person at a terminal types it twice.
      const scripted = process.env.AIRGAP_PASSWORD || g.passwordFile || process.env.AIRGAP_PASSWORD_FILE;
      const password =
        scripted || !process.stdin.isTTY ? await readPassword(g) : await readNewPassword(undefined);
      const repo = await initRepository(backend, password, { compression: Number(opts.compression) });
      if (g.json) printJson({ id: repo.config.id, location: backend.location, key: repo.keyId });
      else {
        printLine(`created repository ${repo.config.id.slice(0, 10)} at ${backend.location}`);
        printLine('Keep the passphrase safe: without it the data cannot be restored.');
      }
    });
}
