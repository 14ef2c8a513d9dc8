// The simulated host behind the simulated BMC: a power state machine with PoweringOn/PoweringOff
// transitions, a POST phase, and a "powered command" standing in for the operating system (for instance
// a local vault). The command runs in its own process group: a graceful shutdown is SIGTERM to the group
// (then SIGKILL after a grace period), ForceOff is SIGKILL at once, and when the command exits by itself
// the host is Off, as a real host is after its OS shut down.
import { spawn, type ChildProcess } from 'node:child_process';
import type { PowerState } from '../gap/driver.js';

export interface PoweredCommand {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface HostFaults {
  /** Stays PoweringOn for ever: the power stage of a readiness check must time out. */
  neverBoots?: boolean;
  /** Reaches On but never leaves POST: the post stage must time out. */
  stuckInPost?: boolean;
  /** Accepts GracefulShutdown and ignores it, as a hung OS does: forced off is the only way. */
  ignoreGracefulShutdown?: boolean;
}

export interface HostOptions {
  bootDelayMs: number;
  postDelayMs: number;
  shutdownDelayMs: number;
  /** How long a graceful shutdown waits for the command before SIGKILL. */
  killAfterMs: number;
  command?: PoweredCommand | undefined;
  commandStdio?: 'inherit' | 'ignore';
  faults: HostFaults;
  onChange?: (state: PowerState) => void;
  log?: (line: string) => void;
}

export type ResetResult = 'ok' | 'already' | 'conflict' | 'invalid';

export interface SimHost {
  powerState(): PowerState;
  /** Dell's GetRemoteServicesAPIStatus ServerStatus. */
  serverStatus(): 'PoweredOff' | 'InPOST' | 'OutOfPOST';
  /** Redfish BootProgress.LastState. */
  bootProgress(): string;
  reset(type: string): ResetResult;
  stop(): Promise<void>;
}

export function createSimHost(o: HostOptions): SimHost {
  let state: PowerState = 'Off';
  let inPost = false;
  let child: ChildProcess | undefined;
  let timers: NodeJS.Timeout[] = [];
  const log = o.log ?? (() => {});

  const set = (s: PowerState): void => {
    if (s === state) return;
    state = s;
    log(`host power state ${s}`);
    o.onChange?.(s);
  };
  const later = (ms: number, fn: () => void): void => {
    timers.push(setTimeout(fn, ms));
  };
  const cancelTimers = (): void => {
    for (const t of timers) clearTimeout(t);
    timers = [];
  };
  const signalGroup = (c: ChildProcess, sig: NodeJS.Signals): void => {
    try {
      if (c.pid) process.kill(-c.pid, sig);
    } catch {
      /* already gone */
    }
  };

  function startCommand(): void {
    const cmd = o.command;
    if (!cmd) return;
    const c = spawn(cmd.cmd, cmd.args, {
      cwd: cmd.cwd,
      env: { ...process.env, ...(cmd.env ?? {}) },
      stdio: ['ignore', o.commandStdio ?? 'ignore', o.commandStdio ?? 'ignore'],
      detached: true,
    });
    child = c;
    log(`powered command started (pid ${c.pid})`);
    c.on('error', (e) => log(`powered command failed to start: ${e.message}`));
    c.on('exit', (code, sig) => {
      log(`powered command exited (${sig ?? code})`);
      if (child !== c) return;
      child = undefined;
      // The OS shut itself down: the host goes Off (unless a shutdown is already handling it).
      if (state === 'On') {
        inPost = false;
        set('Off');
      }
    });
  }

  function powerOn(): ResetResult {
    if (state === 'On' || state === 'PoweringOn') return 'already';
    if (state === 'PoweringOff') return 'conflict';
    set('PoweringOn');
    if (o.faults.neverBoots) return 'ok';
    later(o.bootDelayMs, () => {
      inPost = true;
      set('On');
      if (o.faults.stuckInPost) return;
      later(o.postDelayMs, () => {
        inPost = false;
        startCommand();
      });
    });
    return 'ok';
  }

  function graceful(): ResetResult {
    if (state === 'Off' || state === 'PoweringOff') return 'already';
    if (o.faults.ignoreGracefulShutdown) {
      log('graceful shutdown ignored (fault ignoreGracefulShutdown)');
      return 'ok';
    }
    cancelTimers();
    set('PoweringOff');
    const started = Date.now();
    const finish = (): void => {
      later(Math.max(0, o.shutdownDelayMs - (Date.now() - started)), () => {
        inPost = false;
        if (state === 'PoweringOff') set('Off');
      });
    };
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) {
      child = undefined;
      finish();
      return 'ok';
    }
    const killer = setTimeout(() => signalGroup(c, 'SIGKILL'), o.killAfterMs);
    c.once('exit', () => {
      clearTimeout(killer);
      finish();
    });
    child = undefined;
    signalGroup(c, 'SIGTERM');
    return 'ok';
  }

  function forceOff(): ResetResult {
    if (state === 'Off') return 'already';
    cancelTimers();
    if (child) signalGroup(child, 'SIGKILL');
    child = undefined;
    inPost = false;
    set('Off');
    return 'ok';
  }

  return {
    powerState: () => state,
    serverStatus: () =>
      state === 'Off' || state === 'PoweringOn'
        ? 'PoweredOff'
        : inPost || state !== 'On'
          ? 'InPOST'
          : 'OutOfPOST',
    bootProgress: () =>
      state === 'On' ? (inPost ? 'PrimaryProcessorInitializationStarted' : 'OSRunning') : 'None',
    reset(type) {
      switch (type) {
        case 'On':
          return powerOn();
        case 'GracefulShutdown':
          return graceful();
        case 'ForceOff':
          return forceOff();
        case 'PushPowerButton':
          if (state === 'Off') return powerOn();
          if (state === 'On') return graceful();
          return 'ok';
        case 'ForceRestart':
        case 'PowerCycle':
          if (state === 'Off') return 'already';
          forceOff();
          return powerOn();
        case 'Nmi':
          return 'ok';
        default:
          return 'invalid';
      }
    },
    async stop() {
      cancelTimers();
      const c = child;
      child = undefined;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        signalGroup(c, 'SIGTERM');
        const t = setTimeout(() => signalGroup(c, 'SIGKILL'), Math.min(o.killAfterMs, 5000));
        await exited;
        clearTimeout(t);
      }
      inPost = false;
      set('Off');
    },
  };
}
