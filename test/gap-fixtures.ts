// Shared pieces of the gap and bmc-sim tests: a simulator per test (always stopped), a powered command
// that stands in for the vault's service, and a check that connects to it.
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startBmcSim, type BmcSim, type BmcSimOptions } from '../src/bmc-sim/index.js';
import { scratchDir } from './helpers/cli.js';

export const SIM_USER = 'root';
export const SIM_PASSWORD = 'calvin-Secr3t-pw';

export interface SimFixture {
  sim: BmcSim;
  dir: string;
  /** the file where the powered "service" writes `port pid` once it listens */
  serviceFile: string;
  port: number;
  requests: string[];
}

/** A simulator whose powered command is a small TCP service; stopped and cleaned up after the test. */
export async function startSimFixture(
  t: TestContext,
  opts: Partial<BmcSimOptions> = {},
): Promise<SimFixture> {
  const scratch = await scratchDir('airgap-gap-');
  const serviceFile = join(scratch.path, 'service');
  const requests: string[] = [];
  const script =
    "const fs=require('fs');const s=require('net').createServer(c=>c.end('ok\\n'));" +
    "s.listen(0,'127.0.0.1',()=>fs.writeFileSync(process.argv[1],s.address().port+' '+process.pid));" +
    "process.on('SIGTERM',()=>{fs.rmSync(process.argv[1],{force:true});process.exit(0)});";
  const sim = await startBmcSim({
    username: SIM_USER,
    password: SIM_PASSWORD,
    bootDelayMs: 300,
    postDelayMs: 200,
    shutdownDelayMs: 200,
    killAfterMs: 2000,
    powerOnCommand: { cmd: process.execPath, args: ['-e', script, serviceFile] },
    log: (l) => requests.push(l),
    ...opts,
  });
  t.after(async () => {
    await sim.stop();
    await scratch.cleanup();
  });
  return { sim, dir: scratch.path, serviceFile, port: Number(new URL(sim.url).port), requests };
}

/** The injected readiness check: the powered service answers on its port. */
export function serviceCheck(serviceFile: string): (signal: AbortSignal) => Promise<void> {
  return async (signal) => {
    const [port] = (await readFile(serviceFile, 'utf8')).split(' ');
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: Number(port), signal });
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  };
}

export async function servicePid(serviceFile: string): Promise<number | undefined> {
  try {
    return Number((await readFile(serviceFile, 'utf8')).split(' ')[1]);
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 50 ms for at most `ms`; bounded so a broken test fails instead of hanging. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
