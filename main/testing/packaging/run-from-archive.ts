import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { join, sep } from 'node:path'
import { promisify } from 'node:util'
import { asar } from './builder-modules'
import type { UnpackedApp } from './package-unpacked'
import { filesUnder } from './package-unpacked'

/** What the packaged files did when run with Node on this machine. */
export interface ArchiveRun {
  binding: {
    /** The onnxruntime shared library the binding loaded (from /proc/self/maps). */
    library: string | null
    /** The inputs of the shipped UNet, opened through the binding. */
    unetInputs: string[]
  }
  /** `file: specifier` for each require in the packaged code that resolves outside the archive or not at all. */
  unresolved: string[]
  /** The packaged CLI's `generate --json` result. */
  generation: Record<string, unknown>
}

/** Provided by Electron itself, not by the package. */
const PROVIDED = new Set(['electron'])

// Loads the binding the way Electron does for a .node file inside app.asar: by its path in
// app.asar.unpacked. Then opens a model, which needs the shared library found beside it.
const BINDING_CHECK = `
const [bindingFile, commonDir, modelFile] = process.argv.slice(1)
const binding = { exports: {} }
process.dlopen(binding, bindingFile)
binding.exports.initOrtOnce(3, require(commonDir).Tensor, true)
const session = new binding.exports.InferenceSession()
session.loadModel(modelFile, {})
const library = require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n')
  .map((line) => line.trim().split(/\\s+/)[5]).find((p) => p && /libonnxruntime\\.so/.test(p))
console.log(JSON.stringify({ library: library ?? null, unetInputs: session.inputMetadata.map((m) => m.name) }))
`

/** Requires in the packaged code that do not resolve to a file inside `appDir`. */
function unresolvedRequires(appDir: string): string[] {
  const problems: string[] = []
  const code = filesUnder(join(appDir, 'out'))
    .filter((f) => f.endsWith('.js') && !f.startsWith('renderer/'))
    .map((f) => join(appDir, 'out', f))
  for (const file of code) {
    const resolve = createRequire(file).resolve
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (spec === undefined || spec.startsWith('node:') || builtinModules.includes(spec)) continue
      if (PROVIDED.has(spec)) continue
      let resolved = ''
      try {
        resolved = resolve(spec)
      } catch {
        // reported below
      }
      if (!resolved.startsWith(appDir + sep)) {
        problems.push(`${file.slice(appDir.length + 1)}: ${spec}`)
      }
    }
  }
  return problems
}

/**
 * Runs the package's own files with Node, as far as Node can stand in for Electron: the
 * archive is extracted to `dir` (unpacked files included) and nothing outside it is on the
 * module path; the packaged onnxruntime binding is loaded from app.asar.unpacked; the packaged
 * CLI generates an image with the shipped model.
 */
export async function runFromArchive(app: UnpackedApp, dir: string): Promise<ArchiveRun> {
  const archive = join(app.resourcesDir, 'app.asar')
  const appDir = join(dir, 'app')
  mkdirSync(dir, { recursive: true })
  asar.extractAll(archive, appDir)
  const env = { ...process.env }
  delete env['NODE_PATH']
  delete env['NODE_OPTIONS']
  const run = (args: string[]): Promise<{ stdout: string }> =>
    promisify(execFile)(process.execPath, args, { cwd: dir, env, maxBuffer: 8 * 1024 * 1024 })
  const model = join(app.resourcesDir, 'models', 'stepwise-shapes-64')
  const ortDir = `${process.platform}/${process.arch}`
  const bindingFile = join(
    `${archive}.unpacked`,
    'node_modules/onnxruntime-node/bin/napi-v6',
    ortDir,
    'onnxruntime_binding.node'
  )
  const binding = await run([
    '-e',
    BINDING_CHECK,
    bindingFile,
    join(appDir, 'node_modules', 'onnxruntime-common'),
    join(model, 'unet', 'model.onnx')
  ])
  const output = join(dir, 'packaged-cli.png')
  const cli = await run([
    join(appDir, 'out', 'main', 'cli.js'),
    'generate',
    '--model',
    model,
    '--prompt',
    'a red circle',
    '--steps',
    '2',
    '--seed',
    '1',
    '--provider',
    'cpu',
    '--out',
    output,
    '--json'
  ])
  const lastLine = cli.stdout.trim().split('\n').pop() ?? '{}'
  const generation = JSON.parse(lastLine) as Record<string, unknown>
  if (!existsSync(output)) throw new Error(`the packaged CLI wrote no image: ${cli.stdout}`)
  return {
    binding: JSON.parse(binding.stdout) as ArchiveRun['binding'],
    unresolved: unresolvedRequires(appDir),
    generation
  }
}
