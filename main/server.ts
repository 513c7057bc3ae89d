import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { version } from '../package.json'
import { openStepwiseApi } from './api/create-api'
import { inferenceStatusOf } from './api/inference-status'
import { defaultUserDataDir, GRAPH_PASS_CACHE_FOLDER } from './app-paths'
import { InferenceClient } from './inference/client/inference-client'
import { memoryLimitFromEnv } from './jobs/run-plan'
import { DownloadManager } from './model-library/download-manager'
import { startBrowserServer } from './server/browser-server'
import { parseServerArgs, SERVER_USAGE } from './server/server-args'

function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]]
  const child = spawn(command, args, { detached: true, stdio: 'ignore' })
  child.on('error', () => console.log('Could not open a browser; open the URL above yourself.'))
  child.unref()
}

async function main(): Promise<void> {
  let args
  try {
    args = parseServerArgs(process.argv.slice(2))
  } catch (error) {
    console.error(`error: ${(error as Error).message}`)
    process.exit(2)
  }
  if (args.help) {
    console.log(SERVER_USAGE)
    return
  }
  const dataDir = args.dataDir ?? defaultUserDataDir()
  // The inference process inherits it: graph-pass check verdicts live in the data folder.
  process.env['STEPWISE_GRAPH_PASS_CACHE_DIR'] = join(dataDir, GRAPH_PASS_CACHE_FOLDER)
  // The build runs from out/main/; the shipped models sit in resources/models at the repo root.
  const modelDirs =
    args.modelsDirs.length > 0 ? args.modelsDirs : [join(__dirname, '../../resources/models')]
  const inference = new InferenceClient()
  // Tests (and power users) can lower the run plan's memory limit to see the low-memory mode.
  let memoryLimitBytes: number | undefined
  try {
    memoryLimitBytes = memoryLimitFromEnv()
  } catch (error) {
    console.error(`error: ${(error as Error).message}`)
    process.exit(2)
  }
  const api = await openStepwiseApi({
    ...(memoryLimitBytes === undefined ? {} : { memoryLimitBytes }),
    appVersion: version,
    mode: 'browser',
    dataDir,
    modelDirs,
    inference,
    downloads: (models, events) => new DownloadManager({ dataDir, models, events }),
    inferenceStatus: () => inferenceStatusOf(inference),
    probeWebGpu: () => inference.probeWebGpu()
  })
  const server = await startBrowserServer({
    api,
    events: api.events,
    rendererDir: join(__dirname, '../renderer'),
    port: args.port
  }).catch((error: NodeJS.ErrnoException) => {
    const reason =
      error.code === 'EADDRINUSE'
        ? `port ${args.port} is already in use; pick another with --port N (0 = any free port)`
        : error.message
    console.error(`error: ${reason}`)
    process.exit(1)
  })
  console.log(`Stepwise is running at ${server.url}`)
  console.log(`History: ${api.history.files.dir}`)
  console.log(`Models: ${api.models.modelDirs.join(', ')}`)
  if (args.open) openInBrowser(server.url)
  const shutdown = (): void => {
    void server
      .close()
      .then(() => api.close())
      .then(() => process.exit(0))
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

void main()
