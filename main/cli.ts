import { version } from '../package.json'
import { readCapabilities } from './api/capabilities'

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  capabilities [--json]   show the app version, onnxruntime version and execution providers
  --help                  show this help
  --version               print the version`

/** Exit code for invalid arguments, as opposed to 1 for failures while running. */
const EXIT_USAGE = 2

function main(argv: string[]): number {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE)
    return command === undefined ? EXIT_USAGE : 0
  }
  if (command === '--version') {
    console.log(version)
    return 0
  }
  if (command === 'capabilities') {
    const unknown = rest.filter((a) => a !== '--json')
    if (unknown.length > 0) {
      console.error(
        `error: unknown option ${JSON.stringify(unknown[0])} for capabilities (allowed: --json)`
      )
      return EXIT_USAGE
    }
    const caps = readCapabilities(version, 'browser')
    if (rest.includes('--json')) {
      console.log(JSON.stringify({ ...caps, mode: 'cli' }))
    } else {
      console.log(`Stepwise ${caps.appVersion}, onnxruntime ${caps.onnxruntimeVersion}`)
      for (const ep of caps.executionProviders) {
        console.log(`  ${ep.name.padEnd(8)} ${ep.available ? 'available' : 'not available'}`)
      }
    }
    return 0
  }
  console.error(`error: unknown command ${JSON.stringify(command)} (see --help)`)
  return EXIT_USAGE
}

process.exitCode = main(process.argv.slice(2))
