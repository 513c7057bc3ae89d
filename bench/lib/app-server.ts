import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
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
  /**
   * The probe inside the server's current inference process (its RSS after a forced garbage
   * collection), or null when there is none or it cannot be found (not Linux).
   */
  inferenceProbe(): ProbeReader | null
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
  // One reader per inference process: a restarted process's probe counts its readings afresh.
  const inferenceReaders = new Map<number, ProbeReader>()
  return {
    url: server.url,
    origin: server.origin,
    token: server.token,
    pid: server.pid,
    probe: new ProbeReader(scratch, server.pid),
    inferenceProbe: () => {
      const pid = inferenceChildOf(server.pid)
      if (pid === null) return null
      const reader = inferenceReaders.get(pid) ?? new ProbeReader(scratch, pid)
      inferenceReaders.set(pid, reader)
      return reader
    },
    stop: async () => {
      await server.stop()
      rmSync(scratch, { recursive: true, force: true })
    }
  }
}

/** The pid of `parent`'s child running the built inference entry (Linux /proc), or null. */
function inferenceChildOf(parent: number): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        if (ppid !== parent) continue
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
        if (cmdline.some((arg) => arg.endsWith('inference.js'))) return Number(entry)
      } catch {
        // The process ended while being read.
      }
    }
  } catch {
    // No /proc.
  }
  return null
}
