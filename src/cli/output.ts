// How the CLI talks to people and scripts: `--json` gives one JSON document on stdout; otherwise plain
// text. Progress goes to stderr: a live bar on a terminal, a line every few seconds when not on one.
import { AirgapError, ExitCode } from '../errors.js';
import { formatBytes } from '../util/format.js';

export { formatBytes, formatDuration } from '../util/format.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLine(text = ''): void {
  process.stdout.write(text + '\n');
}

export function warn(text: string): void {
  process.stderr.write(`warning: ${text}\n`);
}

export interface ProgressState {
  files: number;
  bytes: number;
  totalBytes?: number;
  totalFiles?: number;
  current?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  done(): void;
}

/** A progress reporter on stderr; silent under --json or --quiet so stdout stays machine-readable. */
export function startProgress(label: string, opts: OutputOptions): Progress {
  if (opts.quiet || opts.json) return { update() {}, done() {} };
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let last = 0;
  let latest: ProgressState = { files: 0, bytes: 0 };
  const render = (final: boolean): void => {
    const s = latest;
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = `${formatBytes(s.bytes / secs)}/s`;
    const pct = s.totalBytes ? ` ${Math.min(100, (100 * s.bytes) / s.totalBytes).toFixed(1)}%` : '';
    const width = 24;
    const bar =
      s.totalBytes && tty
        ? ' [' +
          '#'
            .repeat(Math.round((width * Math.min(s.bytes, s.totalBytes)) / s.totalBytes))
            .padEnd(width, '.') +
          ']'
        : '';
    const line = `${label}${bar}${pct} ${s.files} files, ${formatBytes(s.bytes)}${s.totalBytes ? ' of ' + formatBytes(s.totalBytes) : ''}, ${rate}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else process.stderr.write(line + '\n');
  };
  const timer = setInterval(() => render(false), tty ? 200 : 5000);
  timer.unref();
  return {
    update(state) {
      latest = state;
      if (tty && Date.now() - last > 200) {
        last = Date.now();
        render(false);
      }
    },
    done() {
      clearInterval(timer);
      if (tty) render(true);
    },
  };
}

/** Prints an error the way every command does, and returns the exit code to use. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof AirgapError) {
    if (json)
      process.stdout.write(
        JSON.stringify({ error: { code: e.code, message: e.message, ...(e.details ?? {}) } }) + '\n',
      );
    process.stderr.write(`airgap: ${e.message}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (json) process.stdout.write(JSON.stringify({ error: { code: 'INTERNAL', message: msg } }) + '\n');
  process.stderr.write(`airgap: internal error: ${msg}\n`);
  if (process.env.AIRGAP_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return ExitCode.FAILURE;
}
