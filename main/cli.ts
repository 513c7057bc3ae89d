import { runCli } from './cli/run-cli'

// The command-line front end (out/main/cli.js). All logic lives in ./cli/; this file only
// connects it to the process, so tests can run the same code in-process.
void runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
