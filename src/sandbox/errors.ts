// Errors of the sandbox child process, as the extension sees them.

/** Same shape as the sandbox's ControlError (not imported: that would load sandbox code). */
export class SandboxCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxCallError';
  }
}

/** The child could not start: a `fatal` message (code/port/setting), an early exit or a timeout. */
export class SandboxStartError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly port?: number,
    readonly setting?: string,
    readonly lastLines: string[] = [],
  ) {
    super(message);
    this.name = 'SandboxStartError';
  }
}
