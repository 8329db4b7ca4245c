// Typed errors. Anything a user can cause carries a specific, actionable message.

export class EvomError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad usage: an unknown flag, a missing argument, a bad value, a form field left empty, an action
 *  taken out of order. The message says what to do instead. */
export class UsageError extends EvomError {
  constructor(message: string) { super(message, 'usage'); }
}

/** Something this machine or build lacks (an npm package, a browser, a built asset); says how to get it. */
export class SetupError extends EvomError {
  constructor(message: string) { super(message, 'setup'); }
}

/** What this version cannot do yet (a model shape past a kernel's limit, an option); says what is supported. */
export class UnsupportedError extends EvomError {
  constructor(message: string) { super(message, 'unsupported'); }
}

/** A data file (benchmark, completions) that cannot be used; names the line and the reason. */
export class DataError extends EvomError {
  constructor(readonly reason: string, readonly source: string, readonly line?: number) {
    super(line ? `${source}:${line}: ${reason}` : `${source}: ${reason}`, 'data');
  }
}

/** A target name that no plugin provides. */
export class UnknownTargetError extends EvomError {
  constructor(name: string, known: readonly string[]) {
    super(`unknown target "${name}"; known targets: ${known.join(', ')}`, 'unknown_target');
  }
}

/**
 * A training run stopped by this machine rather than by its input (the GPU device lost, out of GPU
 * memory) during step `step`: the message says so, what is saved (steps up to `saved`, its last
 * checkpoint) and how to resume. `evom` exits 1 for it. `code` is the cause's.
 */
export class RunStoppedError extends EvomError {
  /** spelled out: the places it crosses to match it by name (comlink keeps an error's name, not its class), and a bundle's minifier renames classes */
  override readonly name = 'RunStoppedError';
  constructor(message: string, code: string, readonly step: number, readonly saved: number) { super(message, code); }
}

/**
 * An evaluation or a download stopped on request (the engine host's evalCancel, downloadCancel):
 * nothing of it is kept (a download's bytes on hand stay cached, so the next try resumes). Not a
 * failure: the Studio says "Cancelled". `name` spelled out, as RunStoppedError's.
 */
export class CancelledError extends EvomError {
  override readonly name = 'CancelledError';
  constructor(what: string) { super(`${what} cancelled`, 'cancelled'); }
}

/** Whether an error is a CancelledError, also across a worker or page boundary (where only its name survives). */
export const isCancelled = (e: unknown): boolean => (e as Error | null)?.name === 'CancelledError';
