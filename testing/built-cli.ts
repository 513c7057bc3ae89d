import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'

/** The repository root, and the built CLI the tests run as a child process. */
const root = resolve(__dirname, '..')
export const BUILT_CLI = join(root, 'out/main/cli.js')

/** Builds out/ when a source is newer than the last build (beforeAll of the CLI's process tests). */
export async function ensureBuilt(): Promise<void> {
  const build = spawn(process.execPath, [join(root, 'scripts/ensure-build.mjs')], { cwd: root })
  let stderr = ''
  build.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((done) => build.on('close', done))
  if (code !== 0) throw new Error(`build failed: ${stderr}`)
}

/**
 * A Ctrl-C to send: once stderr shows `after` (and the Ctrl-Cs before it have gone), wait
 * `delayMs`, then signal.
 */
export interface CtrlC {
  after: string
  delayMs?: number
}

/** How a CLI run ended, and when (Date.now()) each thing happened on this side. */
export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
  /** When each Ctrl-C's `after` text was first seen on stderr. */
  seenAt: number[]
  /** When each Ctrl-C was sent. */
  sentAt: number[]
  /** When the CLI had exited and its streams were closed. */
  closedAt: number
}

/** Where a CLI run starts, and the Ctrl-Cs to send it. */
export interface CliRunOptions {
  cwd?: string
  ctrlC?: CtrlC[]
  timeoutMs?: number
}

/**
 * Runs the built CLI as a child process without blocking this thread (spawnSync would stall
 * Vitest's own messaging). It leads a process group of its own, and a Ctrl-C goes to that whole
 * group, as a terminal sends it: the CLI's inference process must not take it for itself.
 */
export function runBuiltCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  const { cwd = process.cwd(), ctrlC = [], timeoutMs = 180_000 } = options
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], {
      cwd,
      detached: true,
      timeout: timeoutMs
    })
    const run: Omit<CliRun, 'code' | 'closedAt'> = {
      stdout: '',
      stderr: '',
      seenAt: [],
      sentAt: []
    }
    let waiting = false
    const next = (): void => {
      const press = ctrlC[run.sentAt.length]
      if (waiting || press === undefined || !run.stderr.includes(press.after)) return
      waiting = true
      run.seenAt.push(Date.now())
      setTimeout(() => {
        run.sentAt.push(Date.now())
        waiting = false
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT')
        } catch {
          // The group has already gone.
        }
        next()
      }, press.delayMs ?? 0)
    }
    child.stdout.on('data', (d: Buffer) => (run.stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => {
      run.stderr += d.toString()
      next()
    })
    child.on('error', fail)
    child.on('close', (code) => done({ ...run, code, closedAt: Date.now() }))
  })
}
