import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ProbeReader } from './probe-reader'

const ROOT = join(__dirname, '..', '..')

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
  const dataDir = join(scratch, 'data')
  const probeUrl = pathToFileURL(join(__dirname, 'event-loop-probe.mjs')).href
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      probeUrl,
      join(ROOT, 'out/main/server.js'),
      '--port',
      '0',
      '--no-open',
      '--data-dir',
      dataDir,
      '--models-dir',
      modelsDir
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STEPWISE_BENCH_PROBE_DIR: scratch }
    }
  )
  let output = ''
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /running at (http:\/\/\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
  const pid = child.pid
  if (pid === undefined) throw new Error('the server has no pid')
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    pid,
    probe: new ProbeReader(scratch, pid),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          rmSync(scratch, { recursive: true, force: true })
          resolve()
        }
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once('exit', done)
        child.kill('SIGTERM')
      })
  }
}
