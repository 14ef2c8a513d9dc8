// The script gap driver: the user's own open/close/status programs (a PDU, a smart plug, a vendor tool).
// Contract (docs/GAP-CONTROL.md): AIRGAP_* environment variables in, an exit code and optionally a state
// word on stdout out; each run has a timeout; every output line goes to the task log.
import { AirgapError, type ErrorCode } from '../errors.js';
import {
  parsePowerState,
  type DriverLog,
  type GapDriver,
  type PostState,
  type PowerState,
} from './driver.js';
import { runCommand, type RunResult } from './run-command.js';

export interface ScriptDriverOptions {
  target: string;
  open: string;
  close: string;
  status: string;
  forceOff?: string | undefined;
  postStatus?: string | undefined;
  address?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number | undefined;
  extraEnv?: Record<string, string> | undefined;
  env: NodeJS.ProcessEnv;
  log?: DriverLog | undefined;
}

/** Exit codes a script may use to say why it failed; anything else non-zero is a plain failure. */
export const SCRIPT_EXIT: Readonly<Record<number, ErrorCode>> = {
  10: 'BMC_UNREACHABLE',
  11: 'BMC_AUTH',
  12: 'BMC_BUSY',
};
/** Exit code of `status` meaning Off (as LSB's "not running"), and of `postStatus` meaning "in POST". */
export const SCRIPT_EXIT_OFF = 3;

export function createScriptDriver(o: ScriptDriverOptions): GapDriver {
  const timeoutMs = o.timeoutMs ?? 5 * 60_000;

  async function run(action: string, path: string, signal?: AbortSignal): Promise<RunResult> {
    const env: NodeJS.ProcessEnv = {
      ...o.env,
      ...(o.extraEnv ?? {}),
      AIRGAP_TARGET: o.target,
      AIRGAP_ACTION: action,
      AIRGAP_TIMEOUT_MS: String(timeoutMs),
      ...(o.address ? { AIRGAP_ADDRESS: o.address } : {}),
      ...(o.username ? { AIRGAP_BMC_USERNAME: o.username } : {}),
      ...(o.password ? { AIRGAP_BMC_PASSWORD: o.password } : {}),
    };
    const r = await runCommand(path, [action], {
      env,
      timeoutMs,
      signal,
      onLine: (line, stream) =>
        o.log?.(`[${o.target} ${action}${stream === 'stderr' ? ' stderr' : ''}] ${line}`),
    });
    if (r.timedOut)
      throw new AirgapError(
        'POWER_FAILED',
        `the ${action} script of target ${o.target} timed out after ${timeoutMs} ms`,
      );
    return r;
  }

  function failure(action: string, r: RunResult): AirgapError {
    const code = r.code !== null ? SCRIPT_EXIT[r.code] : undefined;
    const how = r.code !== null ? `exit code ${r.code}` : `signal ${r.signal}`;
    const last = lastLine(r.stderr) || lastLine(r.stdout);
    return new AirgapError(
      code ?? 'POWER_FAILED',
      `the ${action} script of target ${o.target} failed (${how})${last ? ': ' + last : ''}`,
    );
  }

  async function act(action: string, path: string | undefined, signal?: AbortSignal): Promise<void> {
    if (!path) throw new AirgapError('NOT_SUPPORTED', `target ${o.target} has no ${action} script`);
    const r = await run(action, path, signal);
    if (r.code !== 0) throw failure(action, r);
  }

  async function powerState(signal?: AbortSignal): Promise<PowerState> {
    const r = await run('status', o.status, signal);
    const word = parsePowerState(lastLine(r.stdout));
    if (r.code === 0 && word !== 'Unknown') return word;
    if (r.code === 0) return 'On';
    if (r.code === SCRIPT_EXIT_OFF) return 'Off';
    throw failure('status', r);
  }

  const driver: GapDriver = {
    kind: 'script',
    canReadPowerState: true,
    describe: () => `script target ${o.target}${o.address ? ' (' + o.address + ')' : ''}`,
    powerState,
    powerOn: (signal) => act('open', o.open, signal),
    gracefulOff: (signal) => act('close', o.close, signal),
    forceOff: (signal) => act('force-off', o.forceOff, signal),
  };
  if (o.postStatus) {
    const path = o.postStatus;
    driver.postState = async (signal?: AbortSignal): Promise<PostState> => {
      const r = await run('post-status', path, signal);
      const w = lastLine(r.stdout).toLowerCase();
      if (r.code === 0 && (w === 'in-post' || w === 'past-post' || w === 'unknown')) return w;
      if (r.code === 0) return 'past-post';
      if (r.code === SCRIPT_EXIT_OFF) return 'in-post';
      throw failure('post-status', r);
    };
  }
  return driver;
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) return lines[i]!.slice(0, 300);
  return '';
}
