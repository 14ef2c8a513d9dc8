// How the vault's typed errors travel over HTTP: a status for generic clients and the error code in a
// JSON body, which the client backend turns back into the same AirgapError.
import type { ErrorCode } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  CONFIG: 400,
  VAULT_AUTH: 401,
  VAULT_FORBIDDEN: 403,
  NOT_FOUND: 404,
  REPO_NOT_FOUND: 404,
  OBJECT_EXISTS_DIFFERENT: 409,
  VAULT_LIMIT: 413,
  VAULT_SECURED: 503,
  NO_SPACE: 507,
};

export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; [k: string]: unknown };
}
