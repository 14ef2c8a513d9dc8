// The IPMI gap driver, for BMCs without Redfish: Debian's ipmitool over lanplus. The password travels in
// the child's environment (IPMI_PASSWORD with -E), never on its command line. Cipher suites are tried
// in order (17 first, as iDRAC9 prefers; 3 for older BMCs and ipmi_sim) and the one that worked is kept.
import { AirgapError } from '../errors.js';
import type { DriverLog, GapDriver, PowerState } from './driver.js';
import { runCommand, type RunResult } from './run-command.js';

export interface IpmiDriverOptions {
  target: string;
  host: string;
  port: number;
  username: string;
  password: string;
  cipherSuites: number[];
  privilege: 'ADMINISTRATOR' | 'OPERATOR';
  commandTimeoutMs?: number | undefined;
  ipmitool?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  log?: DriverLog | undefined;
}

export function createIpmiDriver(o: IpmiDriverOptions): GapDriver {
  const what = `BMC of target ${o.target} at ${o.host}:${o.port} (IPMI)`;
  const timeoutMs = o.commandTimeoutMs ?? 30_000;
  let suite: number | undefined;

  async function ipmitool(args: string[], signal?: AbortSignal): Promise<RunResult> {
    const suites = suite !== undefined ? [suite] : o.cipherSuites;
    let last: RunResult | undefined;
    for (const c of suites) {
      const argv = [
        '-I',
        'lanplus',
        '-H',
        o.host,
        '-p',
        String(o.port),
        '-U',
        o.username,
        '-E',
        '-L',
        o.privilege,
        '-v',
      ];
      argv.push('-C', String(c), '-N', '2', '-R', '2', ...args);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(o.env ?? {}), IPMI_PASSWORD: o.password };
      const r = await runCommand(o.ipmitool ?? 'ipmitool', argv, { env, timeoutMs, signal });
      if (r.timedOut)
        throw new AirgapError('BMC_UNREACHABLE', `the ${what} did not answer within ${timeoutMs} ms`);
      last = r;
      if (!sessionFailed(r)) {
        suite = c;
        return r;
      }
      const err = sessionError(r);
      // Only a cipher-suite mismatch is worth another suite; a wrong password or a silent BMC is not.
      if (err.code !== 'BMC_PROTOCOL') throw err;
      o.log?.(`${what}: no session with cipher suite ${c}${suites.length > 1 ? ', trying the next' : ''}`);
    }
    throw sessionError(last!);
  }

  function sessionFailed(r: RunResult): boolean {
    return (
      r.code !== 0 && /unable to establish|get auth capabilities|authentication capabilities/i.test(r.stderr)
    );
  }

  /** Classifies ipmitool's -v output: auth failure, silent BMC, or (BMC_PROTOCOL) a cipher mismatch. */
  function sessionError(r: RunResult): AirgapError {
    const s = r.stderr;
    if (
      /rakp 2 hmac is invalid|unauthorized name|invalid (user ?name|password)|insufficient resources for session/i.test(
        s,
      )
    )
      return /insufficient resources/i.test(s)
        ? new AirgapError('BMC_BUSY', `the ${what} has no free session slot`)
        : new AirgapError('BMC_AUTH', `the ${what} rejected the credentials of user ${o.username}`);
    if (/privilege/i.test(s) && /invalid|insufficient|unauthorized/i.test(s))
      return new AirgapError(
        'BMC_AUTH',
        `user ${o.username} lacks the ${o.privilege} privilege on the ${what}`,
      );
    if (/get auth capabilities error|error issuing get channel authentication/i.test(s))
      return new AirgapError('BMC_UNREACHABLE', `the ${what} does not answer`);
    return new AirgapError('BMC_PROTOCOL', `cannot open an IPMI session with the ${what} (${summary(s)})`);
  }

  async function powerState(signal?: AbortSignal): Promise<PowerState> {
    const r = await ipmitool(['chassis', 'power', 'status'], signal);
    const m = /Chassis Power is (on|off)/i.exec(r.stdout);
    if (r.code !== 0 || !m)
      throw new AirgapError(
        'BMC_PROTOCOL',
        `the ${what} gave no power status (${summary(r.stderr || r.stdout)})`,
      );
    return m[1]!.toLowerCase() === 'on' ? 'On' : 'Off';
  }

  /** ipmitool exits 1 when the chassis is already in the state asked for: re-read and accept a match. */
  async function power(verb: string, want: 'On' | 'Off', signal?: AbortSignal): Promise<void> {
    const r = await ipmitool(['chassis', 'power', verb], signal);
    if (r.code === 0) return;
    const state = await powerState(signal).catch(() => undefined);
    if (state === want) {
      o.log?.(`${what}: power ${verb} not needed, the chassis is already ${want}`);
      return;
    }
    throw new AirgapError(
      'POWER_FAILED',
      `the ${what} refused "chassis power ${verb}" (${summary(r.stderr || r.stdout)})`,
    );
  }

  return {
    kind: 'ipmi',
    canReadPowerState: true,
    describe: () => `ipmi ${what}`,
    powerState,
    powerOn: (signal) => power('on', 'On', signal),
    gracefulOff: (signal) => power('soft', 'Off', signal),
    forceOff: (signal) => power('off', 'Off', signal),
  };
}

/** ipmitool's -v chatter without the noise, for messages. */
function summary(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Loading IANA') && !l.startsWith('>'));
  return (lines.slice(-2).join('; ') || 'no output').slice(0, 200);
}
