/** Exit 2: the command line is wrong. `withUsage` false for a valid flag whose value the machine refuses. */
export class UsageError extends Error {
  constructor(message: string, readonly withUsage = true) {
    super(message);
  }
}
