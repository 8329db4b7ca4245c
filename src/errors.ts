// Typed errors. Anything a user can cause carries a specific, actionable message.

export class EvomError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad command-line usage: unknown flag, missing argument, bad value. */
export class UsageError extends EvomError {
  constructor(message: string) { super(message, 'usage'); }
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
