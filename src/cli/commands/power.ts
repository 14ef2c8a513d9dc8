// `airgap power status|on|off TARGET`: power control of a configured target, a thin shell over the gap
// layer (openGap / closeGap). The readiness check of the vault's service belongs to the replication
// task; here `on` stops once the BMC reports the host on and past POST.
import type { Command } from 'commander';
import { loadConfig, DEFAULT_CONFIG_PATH } from '../../config/load.js';
import type { TargetConfig } from '../../config/targets.js';
import { AirgapError } from '../../errors.js';
import { createDriver } from '../../gap/create.js';
import type { GapDriver, PostState } from '../../gap/driver.js';
import { openGap } from '../../gap/open.js';
import { closeGap } from '../../gap/close.js';
import type { GapReport, StageEvent } from '../../gap/stages.js';
import { formatDuration, printJson, printLine } from '../output.js';

interface PowerOpts {
  config?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerPower(program: Command): void {
  const power = program
    .command('power')
    .description('power control of a vault through its BMC (Redfish, IPMI), a script or Wake-on-LAN')
    .option('-c, --config <file>', `config file (env AIRGAP_CONFIG, default ${DEFAULT_CONFIG_PATH})`);

  power
    .command('status')
    .description('show the power state (and POST state where the BMC can tell)')
    .argument('<target>', 'a target name from the config')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<PowerOpts>();
      await withDriver(name, o, async (driver, target) => {
        const powerState = await driver.powerState();
        let postState: PostState | undefined;
        if (driver.postState && powerState === 'On') postState = await driver.postState();
        if (o.json)
          printJson({ target: name, driver: target.driver, powerState, ...(postState ? { postState } : {}) });
        else
          printLine(
            `${name}: ${powerState}${postState && postState !== 'unknown' ? ` (${postState.replace('-', ' ').replace('post', 'POST')})` : ''}`,
          );
      });
    });

  power
    .command('on')
    .description('power on and wait until the host is on and past POST')
    .argument('<target>', 'a target name from the config')
    .option('--no-wait', 'send the power-on request and return')
    .action(async (name: string, opts: { wait: boolean }, cmd: Command) => {
      const o = cmd.optsWithGlobals<PowerOpts>();
      await withDriver(name, o, async (driver, target, signal) => {
        if (!opts.wait) {
          await driver.powerOn(signal);
          if (o.json) printJson({ target: name, requested: 'On' });
          else printLine(`${name}: power-on requested`);
          return;
        }
        const report = await openGap(driver, {
          timeouts: target.timeouts,
          pollMs: target.pollMs,
          onStage: stagePrinter(o),
          signal,
        });
        finish(name, 'On', report, o);
      });
    });

  power
    .command('off')
    .description('graceful shutdown, wait for Off, forced power-off after the timeout, confirm Off')
    .argument('<target>', 'a target name from the config')
    .option('--force', 'force the power off at once (no graceful shutdown)', false)
    .action(async (name: string, opts: { force: boolean }, cmd: Command) => {
      const o = cmd.optsWithGlobals<PowerOpts>();
      await withDriver(name, o, async (driver, target, signal) => {
        const report = await closeGap(driver, {
          timeouts: target.timeouts,
          pollMs: target.pollMs,
          force: opts.force,
          onStage: stagePrinter(o),
          signal,
        });
        finish(name, 'Off', report, o);
      });
    });
}

async function withDriver(
  name: string,
  o: PowerOpts,
  fn: (driver: GapDriver, target: TargetConfig, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const config = await loadConfig(o.config ?? process.env.AIRGAP_CONFIG ?? DEFAULT_CONFIG_PATH);
  const target = config.targets[name];
  if (!target) {
    const known = Object.keys(config.targets);
    throw new AirgapError(
      'USAGE',
      `no target ${name} in the config${known.length ? ` (targets: ${known.join(', ')})` : ''}`,
    );
  }
  const log = o.quiet ? undefined : (line: string): void => void process.stderr.write(`${line}\n`);
  const driver = createDriver(target, process.env, log ? { log } : {});
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await fn(driver, target, ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await driver.dispose?.();
  }
}

function stagePrinter(o: PowerOpts): ((e: StageEvent) => void) | undefined {
  if (o.json || o.quiet) return undefined;
  return (e) => {
    if (e.status === 'start') return;
    const time = e.ms !== undefined ? ` (${formatDuration(e.ms)})` : '';
    process.stderr.write(`  ${e.stage.padEnd(9)} ${e.status}${time}${e.detail ? ': ' + e.detail : ''}\n`);
  };
}

function finish(name: string, state: 'On' | 'Off', report: GapReport, o: PowerOpts): void {
  if (o.json) printJson({ target: name, powerState: state, report });
  else {
    const ms = Date.parse(report.endedAt) - Date.parse(report.startedAt);
    printLine(`${name}: ${state} (${formatDuration(ms)})`);
  }
}
