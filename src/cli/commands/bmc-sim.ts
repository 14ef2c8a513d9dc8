// `airgap bmc-sim`: runs the Redfish BMC simulator in the foreground until SIGTERM/SIGINT. The password
// comes from an environment variable or a file, never from argv.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AirgapError } from '../../errors.js';
import { startBmcSim, type BmcSimFaults } from '../../bmc-sim/index.js';
import { printJson, printLine } from '../output.js';

const FAULTS = [
  'never-boots',
  'stuck-in-post',
  'ignore-shutdown',
  'refuse-sessions',
  'busy',
  'hang',
  'redfish-disabled',
] as const;

interface SimCliOpts {
  host: string;
  port: string;
  username: string;
  passwordEnv: string;
  passwordFile?: string;
  tls: boolean;
  bootDelay: string;
  postDelay?: string;
  shutdownDelay: string;
  killAfter: string;
  stateFile?: string;
  fault: string[];
  actionInfo: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerBmcSim(program: Command): void {
  program
    .command('bmc-sim')
    .description('run a simulated iDRAC-like Redfish BMC; power on starts COMMAND, power off stops it')
    .argument('[command...]', 'the powered command (after --), e.g. a local vault')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port (0: any free port)', '0')
    .option('--username <name>', 'BMC user', 'root')
    .option('--password-env <NAME>', 'environment variable holding the BMC password', 'AIRGAP_BMC_PASSWORD')
    .option('--password-file <file>', 'file holding the BMC password')
    .option('--no-tls', 'plain HTTP instead of HTTPS with a self-signed certificate')
    .option('--boot-delay <ms>', 'time in PoweringOn', '5000')
    .option('--post-delay <ms>', 'time in POST after On (default: half the boot delay)')
    .option('--shutdown-delay <ms>', 'minimum time in PoweringOff', '2000')
    .option('--kill-after <ms>', 'graceful shutdown: SIGKILL the command after this long', '10000')
    .option('--state-file <file>', 'record the power state in this file')
    .option('--action-info', 'publish the allowed reset types through @Redfish.ActionInfo', false)
    .option(
      '--fault <name>',
      `inject a fault (repeatable): ${FAULTS.join(', ')}`,
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .action(async (command: string[], _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<SimCliOpts>();
      const password = readSimPassword(o);
      const faults = parseFaults(o.fault);
      const int = (v: string, what: string): number => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0)
          throw new AirgapError('USAGE', `${what} must be a whole number of milliseconds`);
        return n;
      };
      const quiet = o.quiet === true || o.json === true;
      const sim = await startBmcSim({
        host: o.host,
        port: int(o.port, '--port'),
        username: o.username,
        password,
        tls: o.tls,
        bootDelayMs: int(o.bootDelay, '--boot-delay'),
        ...(o.postDelay !== undefined ? { postDelayMs: int(o.postDelay, '--post-delay') } : {}),
        shutdownDelayMs: int(o.shutdownDelay, '--shutdown-delay'),
        killAfterMs: int(o.killAfter, '--kill-after'),
        ...(command.length > 0 ? { powerOnCommand: { cmd: command[0]!, args: command.slice(1) } } : {}),
        commandStdio: 'inherit',
        faults,
        allowableVia: o.actionInfo ? 'actionInfo' : 'inline',
        ...(o.stateFile ? { stateFile: o.stateFile } : {}),
        log: quiet ? undefined : (l) => process.stderr.write(`bmc-sim: ${l}\n`),
      });
      if (o.json) printJson({ url: sim.url, fingerprint: sim.fingerprint || null, username: o.username });
      else {
        printLine(`bmc-sim listening on ${sim.url}`);
        if (sim.fingerprint) printLine(`certificate fingerprint (SHA-256): ${sim.fingerprint}`);
      }
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await sim.stop();
    });
}

function readSimPassword(o: SimCliOpts): string {
  if (o.passwordFile) {
    try {
      const pw = readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
      if (pw) return pw;
    } catch {
      throw new AirgapError('USAGE', `cannot read the password file ${o.passwordFile}`);
    }
    throw new AirgapError('USAGE', `the password file ${o.passwordFile} is empty`);
  }
  const pw = process.env[o.passwordEnv];
  if (!pw)
    throw new AirgapError(
      'USAGE',
      `set the BMC password in the environment variable ${o.passwordEnv} (or use --password-file)`,
    );
  return pw;
}

function parseFaults(names: string[]): BmcSimFaults {
  const f: BmcSimFaults = {};
  for (const n of names) {
    switch (n) {
      case 'never-boots':
        f.neverBoots = true;
        break;
      case 'stuck-in-post':
        f.stuckInPost = true;
        break;
      case 'ignore-shutdown':
        f.ignoreGracefulShutdown = true;
        break;
      case 'refuse-sessions':
        f.refuseSessions = true;
        break;
      case 'busy':
        f.busy = true;
        break;
      case 'hang':
        f.hang = true;
        break;
      case 'redfish-disabled':
        f.redfishDisabled = true;
        break;
      default:
        throw new AirgapError('USAGE', `unknown fault ${n} (known: ${FAULTS.join(', ')})`);
    }
  }
  return f;
}
