// `airgap vault ...`: the vault host's own commands. They act on the local data directory; none of
// them exists on the network. Thin shells over src/vault/.
import type { Command } from 'commander';
import { ExitCode, fail } from '../../errors.js';
import {
  addRepo,
  addToken,
  initVault,
  listTokens,
  parseDuration,
  pruneVault,
  releaseVault,
  revokeToken,
  secureVault,
  startVault,
  vaultStatus,
  verifyAudit,
  type Role,
} from '../../vault/index.js';
import { formatBytes, printJson, printLine } from '../output.js';

interface G {
  json: boolean;
  data?: string;
  repo?: string;
}

const globals = (cmd: Command): G => cmd.optsWithGlobals() as G;

function dataDir(cmd: Command): string {
  return globals(cmd).data ?? process.env.AIRGAP_VAULT_DATA ?? '/var/lib/airgap-vault';
}

/** Test hook only: AIRGAP_VAULT_NOW sets the clock prune and status use. Never reachable from the network. */
function vaultNow(): Date | undefined {
  const v = process.env.AIRGAP_VAULT_NOW;
  if (!v) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) fail('USAGE', `AIRGAP_VAULT_NOW is not a date: ${v}`);
  return new Date(t);
}

/**
 * `--repo` is also the program's global option, which commander consumes wherever it appears, so the
 * names come from whichever got them; a comma separates several.
 */
function repoNames(own: string | undefined, cmd: Command): string[] | undefined {
  const v = own ?? globals(cmd).repo;
  return v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

export function registerVault(program: Command): void {
  const vault = program
    .command('vault')
    .description('the offline vault: serve immutable repositories, and administer them locally')
    .option('--data <dir>', 'vault data directory (env AIRGAP_VAULT_DATA, default /var/lib/airgap-vault)');

  vault
    .command('init')
    .description("create the vault's configuration, data directory, TLS key and self-signed certificate")
    .option('--name <name>', 'vault name (default: host name)')
    .option('--repo <names>', 'also create these repositories (comma-separated)')
    .option('--listen <host:port>', 'address to serve on', '0.0.0.0:8443')
    .option('--san <names>', 'extra DNS names or IPs for the certificate (comma-separated)')
    .option(
      '--shutdown-command <cmd>',
      "dead man's switch command, words split on spaces",
      'systemctl poweroff',
    )
    .action(
      async (
        o: { name?: string; repo?: string; listen: string; san?: string; shutdownCommand: string },
        cmd: Command,
      ) => {
        const r = await initVault({
          dataDir: dataDir(cmd),
          name: o.name,
          repos: repoNames(o.repo, cmd),
          listen: o.listen,
          altNames: o.san?.split(',').filter(Boolean),
          shutdownCommand: o.shutdownCommand.trim().split(/\s+/),
        });
        if (globals(cmd).json) return printJson(r);
        printLine(`initialized vault ${r.name} (${r.vaultId}) in ${r.dataDir}`);
        for (const n of r.repos) printLine(`created repository ${n}`);
        printLine(`certificate SHA-256 fingerprint (pin this on clients, AIRGAP_VAULT_FINGERPRINT):`);
        printLine(`  ${r.fingerprint}`);
      },
    );

  vault
    .command('serve')
    .description('serve the repositories over HTTPS until stopped or the window closes')
    .option('--listen <host:port>', 'override the configured address (port 0: any free port)')
    .action(async (o: { listen?: string }, cmd: Command) => {
      let host: string | undefined;
      let port: number | undefined;
      if (o.listen) {
        const m = /^(.*):(\d{1,5})$/.exec(o.listen);
        if (!m) fail('USAGE', `--listen needs HOST:PORT, got ${o.listen}`);
        host = m[1]!.replace(/^\[|\]$/g, '');
        port = Number(m[2]);
      }
      const json = globals(cmd).json;
      const v = await startVault({
        dataDir: dataDir(cmd),
        host,
        port,
        log: (l) => process.stderr.write(`vault: ${l}\n`),
      });
      if (json)
        process.stdout.write(
          JSON.stringify({ event: 'listening', url: v.url, port: v.port, fingerprint: v.fingerprint }) + '\n',
        );
      else printLine(`listening on ${v.url} (fingerprint ${v.fingerprint})`);
      const signalled = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      const why = await Promise.race([signalled, v.windowClosed.then((r) => `window closed (${r})`)]);
      await v.stop();
      if (json) process.stdout.write(JSON.stringify({ event: 'stopped', reason: why }) + '\n');
      else printLine(`stopped: ${why}`);
    });

  const repo = vault.command('repo').description('repositories on this vault');
  repo
    .command('add <name>')
    .description('create a repository (clients then initialize it by uploading its config)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const r = await addRepo(dataDir(cmd), name);
      if (globals(cmd).json) printJson(r);
      else printLine(`created repository ${r.name} at ${r.path}`);
    });

  const token = vault.command('token').description('client credentials (managed on the vault host only)');
  token
    .command('add')
    .description('create a token; its secret is shown once')
    .requiredOption('--role <role>', 'replicator (write new objects, read, list) or reader (read, list)')
    .option('--repo <names>', 'repositories the token may use (comma-separated; * for all)')
    .option('--expires <duration>', 'lifetime, e.g. 90d (default: no expiry)')
    .option('--name <label>', 'a label for `token list`')
    .action(async (o: { role: string; repo?: string; expires?: string; name?: string }, cmd: Command) => {
      if (o.role !== 'replicator' && o.role !== 'reader')
        fail('USAGE', `unknown role "${o.role}": use replicator or reader`);
      const repos = repoNames(o.repo, cmd);
      if (!repos?.length) fail('USAGE', 'give the repositories with --repo NAME[,NAME...] (or --repo "*")');
      const expiresAt = o.expires ? new Date(Date.now() + parseDuration(o.expires, '--expires')) : null;
      const r = await addToken(dataDir(cmd), { role: o.role as Role, repos, name: o.name, expiresAt });
      if (globals(cmd).json) return printJson({ ...r.record, token: r.token });
      printLine(`token ${r.record.id} (${r.record.role}, repositories: ${r.record.repos.join(', ')})`);
      printLine(`secret (shown once; give it to the client as AIRGAP_VAULT_TOKEN):`);
      printLine(`  ${r.token}`);
    });
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_o: unknown, cmd: Command) => {
      const list = await listTokens(dataDir(cmd));
      if (globals(cmd).json) return printJson(list);
      if (list.length === 0) return printLine('no tokens');
      for (const t of list) {
        const state = t.revokedAt
          ? `revoked ${t.revokedAt}`
          : t.expiresAt
            ? `expires ${t.expiresAt}`
            : 'no expiry';
        printLine(`${t.id}  ${t.role.padEnd(10)}  ${t.repos.join(',').padEnd(16)}  ${state}  ${t.name}`);
      }
    });
  token
    .command('revoke <id>')
    .description('revoke a token; a running vault refuses it from the next request on')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const r = await revokeToken(dataDir(cmd), id);
      if (globals(cmd).json) printJson(r);
      else printLine(`revoked token ${r.id}`);
    });

  vault
    .command('status')
    .description("the vault's state: kill switch, repositories, locks, tokens, audit log")
    .action(async (_o: unknown, cmd: Command) => {
      const s = await vaultStatus(dataDir(cmd), vaultNow());
      if (globals(cmd).json) return printJson(s);
      printLine(`vault ${s.name} (${s.vaultId}) in ${s.dataDir}`);
      printLine(`  fingerprint  ${s.fingerprint}`);
      printLine(
        `  state        ${s.secured ? `SECURED since ${s.secured.since}${s.secured.reason ? ` (${s.secured.reason})` : ''}` : 'normal'}`,
      );
      printLine(
        `  daemon       ${s.daemonPid ? `running (pid ${s.daemonPid}) on ${s.listen}` : 'not running'}`,
      );
      printLine(
        `  immutable    ${s.immutable ? 'chattr +i applied to stored objects' : 'not available (needs root and ext4/xfs/btrfs)'}`,
      );
      printLine(`  last prune   ${s.lastPrune ?? 'never'}`);
      printLine(
        `  tokens       ${s.tokens.active} active, ${s.tokens.revoked} revoked, ${s.tokens.expired} expired`,
      );
      printLine(
        `  audit log    ${s.audit.entries} entries, ${s.audit.ok ? 'chain verified' : `BROKEN at line ${s.audit.badLine}: ${s.audit.reason}`}`,
      );
      for (const r of s.repos) {
        printLine(
          `  repo ${r.name}: ${r.snapshots} snapshots (${r.locked} locked${r.nextUnlock ? `, next unlock ${r.nextUnlock}` : ''}), ${r.objects} objects, ${formatBytes(r.bytes)}`,
        );
      }
    });

  vault
    .command('prune')
    .description('delete expired snapshots and the data no live snapshot references (local only)')
    .option('--allow-clock-jump', 'prune even though the clock jumped (recorded in the audit log)', false)
    .option('--dry-run', 'only show what would be deleted', false)
    .action(async (o: { allowClockJump: boolean; dryRun: boolean }, cmd: Command) => {
      const r = await pruneVault({
        dataDir: dataDir(cmd),
        now: vaultNow(),
        allowClockJump: o.allowClockJump,
        dryRun: o.dryRun,
      });
      if (globals(cmd).json) return printJson(r);
      if (r.clockOverride) printLine('clock-jump check overridden (audited)');
      for (const x of r.repos) {
        printLine(
          `${r.dryRun ? 'would delete' : 'deleted'} in ${x.repo}: ${x.snapshotsDeleted.length} snapshots, ${x.objectsDeleted.length} objects, ${formatBytes(x.bytesFreed)}; ${x.snapshotsKept} snapshots locked`,
        );
        if (x.skippedData) printLine(`  ${x.skippedData}`);
      }
    });

  vault
    .command('secure')
    .description('kill switch: refuse every network session until released locally')
    .option('--reason <text>', 'recorded in the audit log', '')
    .action(async (o: { reason: string }, cmd: Command) => {
      const s = await secureVault(dataDir(cmd), o.reason);
      if (globals(cmd).json) printJson({ secured: true, ...s });
      else
        printLine(
          `vault SECURED since ${s.since}: all network sessions are refused until \`airgap vault release\``,
        );
    });

  vault
    .command('release')
    .description('release the kill switch')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await releaseVault(dataDir(cmd));
      if (globals(cmd).json) printJson({ secured: false, ...r });
      else
        printLine(
          r.wasSecured ? 'vault released: network sessions accepted again' : 'the vault was not secured',
        );
    });

  vault
    .command('audit')
    .description('the hash-chained audit log')
    .command('verify')
    .description('verify the hash chain of the audit log')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await verifyAudit(dataDir(cmd));
      if (globals(cmd).json) printJson(r);
      else if (r.ok) printLine(`audit log OK: ${r.entries} entries, last hash ${r.lastHash}`);
      else printLine(`audit log BROKEN at line ${r.badLine}: ${r.reason}`);
      if (!r.ok) process.exitCode = ExitCode.INTEGRITY;
    });
}
