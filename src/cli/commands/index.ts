// The list of verbs. Each module exports `register(program)`; add one line per verb.
import type { Command } from 'commander';
import { registerInit } from './init.js';
import { registerBackup } from './backup.js';
import { registerSnapshots } from './snapshots.js';
import { registerLs } from './ls.js';
import { registerRestore } from './restore.js';
import { registerDiff } from './diff.js';
import { registerCheck } from './check.js';
import { registerForget } from './forget.js';
import { registerPrune } from './prune.js';
import { registerKey } from './key.js';
import { registerStats } from './stats.js';

import { registerReplicate } from './replicate.js';
import { registerDemo } from './demo.js';
import { registerVault } from './vault.js';

import { registerPower } from './power.js';
import { registerBmcSim } from './bmc-sim.js';

export type Register = (program: Command) => void;

export const commands: Register[] = [
  registerPower,
  registerBmcSim,
  registerInit,
  registerBackup,
  registerSnapshots,
  registerLs,
  registerRestore,
  registerDiff,
  registerCheck,
  registerForget,
  registerPrune,
  registerKey,
  registerStats,
  registerReplicate,
  registerDemo,
  registerVault];
