/**
 * The application's error family. Each error says what went wrong in words a user can act on;
 * the edges translate the `kind` into a response in exactly one place each:
 * HTTP in `web/http-errors.ts`, SIP in `sip/sip-errors.ts`, CLI exit codes in `cli/handle-error.ts`.
 */
export type ErrorKind =
  | 'invalid-input' // the request or command was malformed
  | 'not-found' // the thing asked for does not exist
  | 'conflict' // the request clashes with current state
  | 'unauthorized' // missing or wrong credentials
  | 'forbidden' // credentials fine, not allowed
  | 'unavailable' // a dependency (database, FreeSWITCH, drachtio) is down
  | 'config' // configuration file problems
  | 'internal'; // a bug

export class AppError extends Error {
  readonly kind: ErrorKind;
  /** Extra machine-readable detail (e.g. the offending field) for API clients. */
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.kind = kind;
    this.details = options?.details;
  }
}

export class InvalidInputError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid-input', message, { details });
    this.name = 'InvalidInputError';
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not-found', message);
    this.name = 'NotFoundError';
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'missing or wrong admin token: send "Authorization: Bearer <http.adminToken>"') {
    super('unauthorized', message);
    this.name = 'UnauthorizedError';
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { cause });
    this.name = 'UnavailableError';
  }
}

/** One problem in a configuration file, located by its YAML path (`pools[1].numbers[3]`). */
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends AppError {
  readonly problems: ConfigProblem[];
  readonly file: string;

  constructor(file: string, problems: ConfigProblem[]) {
    super('config', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${formatProblems(problems)}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.file = file;
  }
}

export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => (p.path ? `  ${p.path}: ${p.message}` : `  ${p.message}`)).join('\n');
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** FreeSWITCH could not do what a call needed (not connected, refused, or too slow): the call goes on unrecorded. */
export class MediaUnavailableError extends UnavailableError {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'MediaUnavailableError';
  }
}
