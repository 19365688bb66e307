/**
 * Base of the errors hostile input provokes (bad framing, bad text, bad CHAP).
 * They are control flow, not bugs: no stack trace is captured, so a flood of
 * garbage costs the daemon as little as possible.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = new.target.name;
  }
}
