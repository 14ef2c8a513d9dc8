// The `airgap` command: a thin shell. Each verb lives in commands/<verb>.ts and only parses options,
// calls an operation or task, and prints the result.
import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { loadCommands } from './commands/index.js';
import { keepYoungGenerationSmall } from '../util/gc.js';

export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('airgap')
    .description('air-gapped, immutable backups with proven exposure windows')
    .version('0.1.0')
    .option(
      '-r, --repo <location>',
      'repository: a directory or vault+https://HOST:PORT/NAME (env AIRGAP_REPOSITORY)',
    )
    .option('--password-file <file>', 'read the repository passphrase from a file (env AIRGAP_PASSWORD_FILE)')
    .option('--json', 'machine-readable JSON output on stdout', false)
    .option('-q, --quiet', 'no progress output', false)
    .showHelpAfterError()
    .exitOverride();
  for (const register of await loadCommands(firstVerb(argv))) register(program);
  return program;
}

// The verb is the first argument that is not an option or an option's value.
const GLOBAL_WITH_VALUE = new Set(['-r', '--repo', '--password-file']);
function firstVerb(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return 0;
      return 2;
    }
    return reportError(e, json);
  }
}

keepYoungGenerationSmall();
const code = await main(process.argv.slice(2));
process.exitCode = code;
