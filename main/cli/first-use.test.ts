import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// What a new user runs first, through the built CLI and `npm run cli` exactly as typed in a
// shell: the shipped model is listed without flags, relative paths mean the caller's folder,
// library ids work for --model, and bad step indices are refused before anything loads.
const root = resolve(__dirname, '../..')
const cli = join(root, 'out/main/cli.js')
const scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-first-use-'))
const dataDir = join(scratch, 'data')
const shipped = join(root, 'resources/models/stepwise-shapes-64')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command without blocking this thread; `closeStdout` closes our end of its stdout at once. */
function run(
  command: string,
  args: string[],
  options: { cwd?: string; closeStdout?: boolean; env?: Record<string, string> } = {}
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? scratch,
      timeout: 180_000,
      env: { ...process.env, ...options.env }
    })
    let stdout = ''
    let stderr = ''
    if (options.closeStdout === true) child.stdout.destroy()
    else child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
}

const built = (args: string[], options?: Parameters<typeof run>[2]): Promise<Run> =>
  run(process.execPath, [cli, ...args], options)

beforeAll(async () => {
  const build = await run(process.execPath, [join(root, 'scripts/ensure-build.mjs')], { cwd: root })
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`)
  mkdirSync(dataDir, { recursive: true })
}, 300_000)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('models commands of the built CLI', () => {
  it('lists the shipped model and describes it by id without --models-dir', async () => {
    const list = await built(['models', 'list', '--data-dir', dataDir])
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^stepwise-shapes-64\s+SD 1.x/m)
    const info = await built(['models', 'info', 'stepwise-shapes-64', '--data-dir', dataDir])
    expect(info.code).toBe(0)
    expect(info.stdout).toContain('id         stepwise-shapes-64 (built-in)')
  })

  it('describes a folder outside the library without "(not in the library) (added)"', async () => {
    const folder = join(root, 'fixtures/models/tiny-sd-random')
    const info = await built(['models', 'info', folder, '--data-dir', dataDir])
    expect(info.code).toBe(0)
    expect(info.stdout).not.toContain('(not in the library) (added)')
    expect(info.stdout).toMatch(/^ {2}id {9}none: not in the library/m)
  })

  it('ends quietly when its reader goes away (`| head`)', async () => {
    const folder = join(root, 'fixtures/models/tiny-sd-random')
    const r = await built(['models', 'info', folder, '--data-dir', dataDir], { closeStdout: true })
    expect(r.stderr).not.toContain('EPIPE')
    expect(r.stderr).not.toMatch(/^\s+at /m)
    expect(r.code).toBe(0)
  })
})

describe('generate: step indices and seeds are checked before the model loads', () => {
  const base = ['generate', '--model', shipped, '--prompt', 'a red circle', '--steps', '25']
  for (const [flag, message] of [
    [
      '--cfg-cutoff-step',
      'error: --cfg-cutoff-step: must be below the number of steps (25), got 99'
    ],
    ['--stop-at-step', 'error: --stop-at-step: must be below the number of steps (25), got 99']
  ] as const) {
    it(`${flag} 99 of 25 exits 2 with one line and no loading`, async () => {
      const r = await built([...base, flag, '99', '--scheduler', 'DDIMScheduler'])
      expect(r.code).toBe(2)
      expect(r.stderr.trim()).toBe(message)
      expect(r.stderr).not.toContain('loading')
    })
  }

  it('echoes a seed of 2^64 exactly as typed', async () => {
    const r = await built([...base, '--seed', '18446744073709551616'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('18446744073709551616')
    expect(r.stderr).not.toContain('18446744073709552000')
  })
})

describe('npm run cli from another folder', () => {
  it('resolves relative paths from the caller and takes a library id for --model', async () => {
    const cwd = join(scratch, 'caller')
    mkdirSync(cwd, { recursive: true })
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    // npm itself starts scripts in the package folder; the caller's folder is what counts.
    const r = await run(
      npm,
      [
        '--prefix',
        root,
        'run',
        '--silent',
        'cli',
        '--',
        'generate',
        '--model',
        'stepwise-shapes-64',
        '--prompt',
        'a red circle on a blue background',
        '--steps',
        '2',
        '--seed',
        '5',
        '--out',
        'out/circle.png'
      ],
      { cwd }
    )
    expect(r.stderr).not.toContain('error:')
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(join(cwd, 'out/circle.png'))
    expect(existsSync(join(cwd, 'out/circle.png'))).toBe(true)
  })

  it('says which ids exist when --model names none, with exit 2', async () => {
    const r = await built(['generate', '--model', 'no-such-model', '--prompt', 'x'], {
      env: { XDG_CONFIG_HOME: join(scratch, 'config') }
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('error: --model: no folder or library model "no-such-model"')
    expect(r.stderr).toContain('stepwise-shapes-64')
  })
})
