/** Parsed command line of `npm run web`. */
export interface ServerArgs {
  port: number
  open: boolean
  help: boolean
  /** History and other per-user data; null: the same folder the Electron app uses. */
  dataDir: string | null
  /** Model folders (repeatable); empty: the shipped `resources/models`. */
  modelsDirs: string[]
}

/** Default port of browser mode; `--port 0` picks a free one. */
export const DEFAULT_PORT = 5180

export const SERVER_USAGE = `Usage: npm run web -- [--port N] [--no-open] [--data-dir DIR] [--models-dir DIR]...

Serves the Stepwise UI to your browser on 127.0.0.1 and prints its URL (with a per-start token).
  --port N            listen on port N (0 picks a free port; default ${DEFAULT_PORT})
  --no-open           do not open a browser window
  --data-dir DIR      keep history in DIR/history (default: the Stepwise app's own data folder,
                      so the app and browser mode share one history)
  --models-dir DIR    look for models in the subfolders of DIR; repeat for several folders
                      (default: the models shipped in resources/models)
  --help              show this help`

const FLAGS = '--port N, --no-open, --data-dir DIR, --models-dir DIR, --help'

/** Parses the server's arguments; throws an Error with a one-line message on bad input. */
export function parseServerArgs(argv: readonly string[]): ServerArgs {
  const args: ServerArgs = {
    port: DEFAULT_PORT,
    open: true,
    help: false,
    dataDir: null,
    modelsDirs: []
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const valued = (flag: string): string | null => {
      if (arg === flag) return argv[++i] ?? ''
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1)
      return null
    }
    const port = valued('--port')
    const dataDir = valued('--data-dir')
    const modelsDir = valued('--models-dir')
    if (arg === '--no-open') args.open = false
    else if (arg === '--help' || arg === '-h') args.help = true
    else if (port !== null) {
      const value = Number(port)
      if (port === '' || !Number.isInteger(value) || value < 0 || value > 65535) {
        throw new Error(`--port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`)
      }
      args.port = value
    } else if (dataDir !== null) {
      if (dataDir === '')
        throw new Error('--data-dir needs a folder, e.g. --data-dir ./stepwise-data')
      args.dataDir = dataDir
    } else if (modelsDir !== null) {
      if (modelsDir === '')
        throw new Error('--models-dir needs a folder, e.g. --models-dir ./models')
      args.modelsDirs.push(modelsDir)
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)} (allowed: ${FLAGS})`)
    }
  }
  return args
}
