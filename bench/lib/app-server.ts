import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startServer } from '../../e2e/fixtures/browser-server'
import { ProbeReader } from './probe-reader'

/** The built browser-mode server, started as `npm run web` starts it, plus the bench's probe. */
export interface AppServer {
  url: string
  origin: string
  token: string
  pid: number
  /** The server's event-loop and memory probe. */
  probe: ProbeReader
  stop(): Promise<void>
}

/**
 * Starts `out/main/server.js` on a free port with a fresh data folder and the given models
 * folder, with event-loop-probe.mjs preloaded (`--import`), and waits for its URL.
 */
export async function startAppServer(modelsDir: string): Promise<AppServer> {
  const scratch = mkdtempSync(join(tmpdir(), 'stepwise-bench-'))
  const probeUrl = pathToFileURL(join(__dirname, 'event-loop-probe.mjs')).href
  const server = await startServer(
    ['--data-dir', join(scratch, 'data'), '--models-dir', modelsDir],
    {
      nodeArgs: ['--import', probeUrl],
      env: { STEPWISE_BENCH_PROBE_DIR: scratch },
      timeoutMs: 60_000
    }
  )
  return {
    url: server.url,
    origin: server.origin,
    token: server.token,
    pid: server.pid,
    probe: new ProbeReader(scratch, server.pid),
    stop: async () => {
      await server.stop()
      rmSync(scratch, { recursive: true, force: true })
    }
  }
}
