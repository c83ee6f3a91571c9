// A wrong command line for any of the operator's commands (ops, keys, usage): the message and the usage text on
// stderr, exit 2, nothing changed.
export class UsageError extends Error {
  override name = 'UsageError';
}
