/**
 * Exit codes and the two kinds of CLI failure. Scripts tell "you called it wrong" (2, nothing was
 * run) from "it ran and failed" (1) by the exit code; both print one `error: …` line on stderr.
 */

/** Exit code for invalid arguments: nothing was run. */
export const EXIT_USAGE = 2

/** Exit code for a failure while running (unreadable model, corrupt file, out of memory). */
export const EXIT_FAILURE = 1

/** A problem with the command line; its message says what is wrong and what is allowed. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Collapses a message to the single line the CLI prints after `error: `. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, '; ').trim()
}
