import { runCli } from './cli/run-cli'

// The command-line front end (out/main/cli.js). All logic lives in ./cli/; this file only
// connects it to the process, so tests can run the same code in-process.

// A reader that goes away (`… | head`) is not an error of ours: stop writing and end quietly,
// as other command-line tools do, instead of dying of an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw error
})

void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
