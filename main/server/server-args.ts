/** Parsed command line of `npm run web`. */
export interface ServerArgs {
  port: number
  open: boolean
  help: boolean
}

/** Default port of browser mode; `--port 0` picks a free one. */
export const DEFAULT_PORT = 5180

export const SERVER_USAGE = `Usage: npm run web -- [--port N] [--no-open]

Serves the Stepwise UI to your browser on 127.0.0.1 and prints its URL (with a per-start token).
  --port N    listen on port N (0 picks a free port; default ${DEFAULT_PORT})
  --no-open   do not open a browser window
  --help      show this help`

/** Parses the server's arguments; throws an Error with a one-line message on bad input. */
export function parseServerArgs(argv: readonly string[]): ServerArgs {
  const args: ServerArgs = { port: DEFAULT_PORT, open: true, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--no-open') args.open = false
    else if (arg === '--help' || arg === '-h') args.help = true
    else if (arg === '--port' || arg?.startsWith('--port=')) {
      const raw = arg === '--port' ? argv[++i] : arg.slice('--port='.length)
      const port = Number(raw)
      if (raw === undefined || raw === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(
          `--port must be an integer from 0 to 65535, got ${JSON.stringify(raw ?? '')}`
        )
      }
      args.port = port
    } else {
      throw new Error(
        `unknown argument ${JSON.stringify(arg)} (allowed: --port N, --no-open, --help)`
      )
    }
  }
  return args
}
