/**
 * Where the CLI writes. Commands take this instead of using `console` directly so that tests can
 * run them in-process and see exactly what would reach stdout and stderr.
 */
export interface CliIo {
  /** Writes one line to stdout (results only: with --json, the JSON object and nothing else). */
  out(line: string): void
  /** Writes one line to stderr (progress, warnings, errors). */
  err(line: string): void
}

/** The real process streams. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`)
}
