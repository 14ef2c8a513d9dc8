// Typed errors with stable codes and exit codes. Every failure a user can meet is one of these; the CLI
// prints `message` (never a stack trace) and exits with `exitCode`. Codes are part of the public
// contract (docs/EXIT-CODES.md): scripts branch on them, so never renumber.

export const ExitCode = {
  OK: 0,
  FAILURE: 1, // generic failure that has no more specific code
  USAGE: 2, // bad command line or configuration
  PARTIAL: 3, // backup finished but some files could not be read
  REPO_NOT_FOUND: 10,
  WRONG_PASSWORD: 11,
  REPO_LOCKED: 12,
  INTEGRITY: 13, // missing or corrupted object, check found errors
  TARGET_EXISTS: 14,
  NO_SPACE: 15,
  NOT_FOUND: 16, // snapshot, key, object or file not found
  REPO_EXISTS: 17,
  VAULT_UNREACHABLE: 20,
  VAULT_IDENTITY: 21, // pinned fingerprint mismatch
  VAULT_SECURED: 22, // kill switch engaged
  VAULT_AUTH: 23, // token missing, wrong, expired or revoked
  VAULT_FORBIDDEN: 24, // a rule of the vault refused the request (delete, overwrite, bad hash...)
  VAULT_LIMIT: 25, // size, rate or body limit
  BMC_UNREACHABLE: 30,
  BMC_AUTH: 31,
  GAP_TIMEOUT: 32, // a readiness or shutdown stage did not finish in time
  POWER_FAILED: 33, // the BMC or script refused or failed a power action
  BMC_BUSY: 34, // session limit / 503
  HOOK_FAILED: 35,
  BMC_IDENTITY: 36, // the BMC's TLS certificate does not match the pinned fingerprint
  REPLICATION_FAILED: 40,
  CLOSE_FAILED: 41, // the window could not be confirmed closed: the worst outcome, alert
  CANCELLED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'PARTIAL'
  | 'REPO_NOT_FOUND'
  | 'REPO_EXISTS'
  | 'WRONG_PASSWORD'
  | 'NO_PASSWORD'
  | 'REPO_LOCKED'
  | 'INTEGRITY'
  | 'TARGET_EXISTS'
  | 'NO_SPACE'
  | 'NOT_FOUND'
  | 'OBJECT_EXISTS_DIFFERENT'
  | 'NOT_SUPPORTED'
  | 'IO'
  | 'VAULT_UNREACHABLE'
  | 'VAULT_IDENTITY'
  | 'VAULT_SECURED'
  | 'VAULT_AUTH'
  | 'VAULT_FORBIDDEN'
  | 'VAULT_LIMIT'
  | 'VAULT_PROTOCOL'
  | 'BMC_UNREACHABLE'
  | 'BMC_AUTH'
  | 'BMC_BUSY'
  | 'BMC_PROTOCOL'
  | 'BMC_IDENTITY'
  | 'GAP_TIMEOUT'
  | 'POWER_FAILED'
  | 'HOOK_FAILED'
  | 'REPLICATION_FAILED'
  | 'CLOSE_FAILED'
  | 'CANCELLED';

const exitCodes: Record<ErrorCode, ExitCodeValue> = {
  USAGE: ExitCode.USAGE,
  CONFIG: ExitCode.USAGE,
  PARTIAL: ExitCode.PARTIAL,
  REPO_NOT_FOUND: ExitCode.REPO_NOT_FOUND,
  REPO_EXISTS: ExitCode.REPO_EXISTS,
  WRONG_PASSWORD: ExitCode.WRONG_PASSWORD,
  NO_PASSWORD: ExitCode.USAGE,
  REPO_LOCKED: ExitCode.REPO_LOCKED,
  INTEGRITY: ExitCode.INTEGRITY,
  TARGET_EXISTS: ExitCode.TARGET_EXISTS,
  NO_SPACE: ExitCode.NO_SPACE,
  NOT_FOUND: ExitCode.NOT_FOUND,
  OBJECT_EXISTS_DIFFERENT: ExitCode.VAULT_FORBIDDEN,
  NOT_SUPPORTED: ExitCode.FAILURE,
  IO: ExitCode.FAILURE,
  VAULT_UNREACHABLE: ExitCode.VAULT_UNREACHABLE,
  VAULT_IDENTITY: ExitCode.VAULT_IDENTITY,
  VAULT_SECURED: ExitCode.VAULT_SECURED,
  VAULT_AUTH: ExitCode.VAULT_AUTH,
  VAULT_FORBIDDEN: ExitCode.VAULT_FORBIDDEN,
  VAULT_LIMIT: ExitCode.VAULT_LIMIT,
  VAULT_PROTOCOL: ExitCode.VAULT_UNREACHABLE,
  BMC_UNREACHABLE: ExitCode.BMC_UNREACHABLE,
  BMC_AUTH: ExitCode.BMC_AUTH,
  BMC_BUSY: ExitCode.BMC_BUSY,
  BMC_PROTOCOL: ExitCode.POWER_FAILED,
  BMC_IDENTITY: ExitCode.BMC_IDENTITY,
  GAP_TIMEOUT: ExitCode.GAP_TIMEOUT,
  POWER_FAILED: ExitCode.POWER_FAILED,
  HOOK_FAILED: ExitCode.HOOK_FAILED,
  REPLICATION_FAILED: ExitCode.REPLICATION_FAILED,
  CLOSE_FAILED: ExitCode.CLOSE_FAILED,
  CANCELLED: ExitCode.CANCELLED,
};

export class AirgapError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AirgapError';
    this.code = code;
    this.exitCode = exitCodes[code];
    this.details = details;
  }
}

export function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new AirgapError(code, message, details);
}

export function isAirgapError(e: unknown, code?: ErrorCode): e is AirgapError {
  return e instanceof AirgapError && (code === undefined || e.code === code);
}

/** Maps an operating-system error to a typed one; anything unknown stays an IO error with its message. */
export function fromSystemError(e: unknown, what: string): AirgapError {
  if (e instanceof AirgapError) return e;
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new AirgapError('NO_SPACE', `no space left on device while ${what}`, undefined, { cause: e });
    case 'ENOENT':
      return new AirgapError('NOT_FOUND', `${what}: not found`, undefined, { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new AirgapError('IO', `${what}: permission denied`, undefined, { cause: e });
    default:
      return new AirgapError('IO', `${what}: ${err?.message ?? String(e)}`, undefined, { cause: e });
  }
}
