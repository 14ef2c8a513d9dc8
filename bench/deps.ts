// The Debian tools the bench needs. When some are missing and we are root, install them with apt-get and
// say so; otherwise stop with the command to run.
import { access, constants } from 'node:fs/promises';
import { passThrough } from './run.js';

interface Need {
  binary: string;
  pkg: string;
}

async function onPath(binary: string): Promise<boolean> {
  if (binary.startsWith('/')) {
    return access(binary, constants.X_OK).then(
      () => true,
      () => false,
    );
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const ok = await access(`${dir}/${binary}`, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return true;
  }
  return false;
}

const BINARIES: Record<string, string> = {
  time: '/usr/bin/time',
  rsync: 'rsync',
  restic: 'restic',
  borgbackup: 'borg',
  python3: 'python3',
};

export async function ensureDebianPackages(
  packages: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  const missing: Need[] = [];
  for (const pkg of new Set(packages)) {
    const binary = BINARIES[pkg] ?? pkg;
    if (!(await onPath(binary))) missing.push({ binary, pkg });
  }
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.map((m) => m.binary).join(', ')}: run  apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  // Wait for another apt-get (another engineer, CI) rather than fail on the dpkg lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  log(`installing missing Debian packages: apt-get update && apt-get install -y ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await passThrough({ cmd: 'apt-get', args: [...lock, 'update', '-qq'] }, { env });
  await passThrough(
    { cmd: 'apt-get', args: [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...pkgs] },
    { env },
  );
}
