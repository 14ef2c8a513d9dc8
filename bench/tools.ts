// How each tool is driven: exactly the commands a user would type, with secrets in the environment.
import { join } from 'node:path';
import type { Command } from './run.js';

export type ToolName = 'airgap' | 'restic' | 'borg-lz4' | 'borg-zstd3';
export const TOOL_NAMES: readonly ToolName[] = ['airgap', 'restic', 'borg-lz4', 'borg-zstd3'];
export type BaselineName = Exclude<ToolName, 'airgap'>;
export const BASELINES: readonly BaselineName[] = ['restic', 'borg-lz4', 'borg-zstd3'];

const PASSWORD = 'bench-password';

export interface Tool {
  name: ToolName;
  /** Debian packages the tool needs. */
  packages: string[];
  env: NodeJS.ProcessEnv;
  repo: string;
  init: Command;
  backup(live: string, snapshot: 'v1' | 'v2'): Command;
  /** Restores the v2 snapshot into `target`. */
  restore(target: string): Command;
  /** Where the backed-up `live` directory reappears after a restore into `target`. */
  restored(target: string, live: string): string;
}

/** `work` is this tool's scratch directory; `airgapMain` the compiled CLI entry. */
export function makeTool(name: ToolName, work: string, airgapMain: string): Tool {
  const repo = join(work, 'repo');
  // Every tool restores the absolute path it backed up under the target directory.
  const restored = (target: string, live: string): string => join(target, live);
  switch (name) {
    case 'airgap':
      return {
        name,
        packages: [],
        env: {
          ...process.env,
          AIRGAP_REPOSITORY: repo,
          AIRGAP_PASSWORD: PASSWORD,
          XDG_CACHE_HOME: join(work, 'cache'),
        },
        repo,
        init: { cmd: process.execPath, args: [airgapMain, 'init'] },
        backup: (live) => ({ cmd: process.execPath, args: [airgapMain, 'backup', live] }),
        restore: (target) => ({
          cmd: process.execPath,
          args: [airgapMain, 'restore', 'latest', '--target', target],
        }),
        restored,
      };
    case 'restic':
      return {
        name,
        packages: ['restic'],
        env: { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(work, 'cache') },
        repo,
        // Repository version 2: zstd compression in "auto" mode, restic's default for new repositories.
        init: { cmd: 'restic', args: ['-r', repo, 'init', '--repository-version', '2'] },
        backup: (live) => ({ cmd: 'restic', args: ['-r', repo, 'backup', '--host', 'bench', live] }),
        restore: (target) => ({ cmd: 'restic', args: ['-r', repo, 'restore', 'latest', '--target', target] }),
        restored,
      };
    case 'borg-lz4':
    case 'borg-zstd3': {
      const compression = name === 'borg-lz4' ? 'lz4' : 'zstd,3';
      return {
        name,
        packages: ['borgbackup'],
        env: {
          ...process.env,
          BORG_PASSPHRASE: PASSWORD,
          BORG_BASE_DIR: join(work, 'base'),
          BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
          BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
        },
        repo,
        init: { cmd: 'borg', args: ['init', '-e', 'repokey', repo] },
        backup: (live, snapshot) => ({
          cmd: 'borg',
          args: ['create', '--compression', compression, '--stats', `${repo}::${snapshot}`, live],
        }),
        // borg extracts into the current directory.
        restore: (target) => ({ cmd: 'borg', args: ['extract', `${repo}::v2`], cwd: target }),
        restored,
      };
    }
  }
}

/** `--only` values: a tool name, or "borg" for both borg variants. */
export function selectTools(only: readonly string[]): ToolName[] {
  if (only.length === 0) return [...TOOL_NAMES];
  const chosen = new Set<ToolName>();
  for (const o of only) {
    if (o === 'borg') {
      chosen.add('borg-lz4');
      chosen.add('borg-zstd3');
    } else if ((TOOL_NAMES as readonly string[]).includes(o)) {
      chosen.add(o as ToolName);
    } else {
      throw new Error(`--only ${o}: expected one of airgap, restic, borg, borg-lz4, borg-zstd3`);
    }
  }
  return TOOL_NAMES.filter((t) => chosen.has(t));
}
