import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  copyModel,
  docPrograms,
  packAndInstallEngine,
  repoFile,
  REPO_ROOT,
  runIn,
  type InstalledEngine
} from '../../testing/engine-package'
import { startTestHub, type TestHub } from '../../testing/test-hub/test-hub-server'

/**
 * Issue 17, "done when": tried as a new user would, in an empty folder — install the packed
 * tarball, paste the README snippet and each documentation example, and they run. The README
 * snippet failed before as an ES module (`does not provide an export named
 * 'DPMSolverMultistepScheduler'`) and as CommonJS (top-level await), and there was no package.
 */

const EXAMPLES = [
  'official-callback',
  'early-stopping',
  'display-intermediate-images',
  'dynamic-cfg'
]

/** Runs one example and prints what the documentation claims, as JSON. */
const RUNNER = `import { displayIntermediateImagesExample } from './display-intermediate-images.js'
import { dynamicCfgExample } from './dynamic-cfg.js'
import { earlyStoppingExample } from './early-stopping.js'
import { officialCallbackExample } from './official-callback.js'

const examples = {
  'official-callback': officialCallbackExample,
  'early-stopping': earlyStoppingExample,
  'display-intermediate-images': displayIntermediateImagesExample,
  'dynamic-cfg': dynamicCfgExample
}

async function main(): Promise<void> {
  const [name, modelDir, outDir] = process.argv.slice(2) as [keyof typeof examples, string, string]
  const out = await examples[name](modelDir, outDir)
  console.log(
    JSON.stringify({
      stepsRun: out.stepsRun,
      numTimesteps: out.numTimesteps,
      interrupted: out.interrupted,
      unetBatch: out.steps.map((s) => s.unetBatch),
      width: out.width
    })
  )
}
main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
`

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    strict: true,
    noUncheckedIndexedAccess: true,
    types: ['node'],
    rootDir: 'src',
    outDir: 'build'
  },
  include: ['src']
}

let engine: InstalledEngine
let hub: TestHub
/** What `tsc` said compiling each project against the installed package's types. */
const compiled: Record<'esm' | 'cjs', string> = { esm: '', cjs: '' }
let sdModel = ''
let sdxlModel = ''
const env: Record<string, string> = {}

beforeAll(async () => {
  engine = await packAndInstallEngine(['@types/node'])
  sdModel = copyModel(engine.project, 'resources/models/stepwise-shapes-64')
  sdxlModel = copyModel(engine.project, 'fixtures/models/tiny-sdxl-random')
  // The Hub, for the documentation's Hub-id program: the stand-in serves the shipped model.
  hub = await startTestHub({ repos: [{ repo: 'onnxruntime/sd-turbo', dir: sdModel }] })
  env.HF_ENDPOINT = hub.endpoint
  env.HF_HUB_CACHE = join(engine.scratch, 'hf-cache')
  for (const [kind, type] of [
    ['esm', 'module'],
    ['cjs', 'commonjs']
  ] as const) {
    const dir = join(engine.project, kind)
    mkdirSync(join(dir, 'src'), { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
    for (const name of EXAMPLES) {
      writeFileSync(join(dir, 'src', `${name}.ts`), repoFile(`examples/${name}.ts`))
    }
    writeFileSync(join(dir, 'src', 'run.ts'), RUNNER)
  }
  for (const program of docPrograms(repoFile('docs/library.md'))) {
    if (program.file.endsWith('.mts')) {
      writeFileSync(join(engine.project, 'esm', 'src', program.file), program.code)
    } else {
      writeFileSync(join(engine.project, program.file), program.code)
    }
  }
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc')
  for (const kind of ['esm', 'cjs'] as const) {
    const r = await runIn(join(engine.project, kind), process.execPath, [tsc, '-p', '.'])
    compiled[kind] = r.stdout + r.stderr
  }
}, 600_000)

afterAll(async () => {
  await hub?.close()
  if (engine !== undefined) rmSync(engine.scratch, { recursive: true, force: true })
})

const node = (cwd: string, args: string[]) => runIn(cwd, process.execPath, args, env)

describe('the engine package, installed from its tarball into an empty project', () => {
  it('carries only the engine: its bundles and types, a name, a version and its dependencies', () => {
    expect(engine.packageJson).toMatchObject({ name: '@stepwise/engine', type: 'module' })
    expect(engine.packageJson.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(engine.packageJson.exports).toMatchObject({
      '.': {
        import: { types: './dist/types/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/cjs/types/index.d.ts', default: './dist/cjs/index.js' }
      }
    })
    expect(Object.keys(engine.packageJson.dependencies).sort()).toEqual([
      '@huggingface/hub',
      '@huggingface/tokenizers',
      'jpeg-js',
      'onnxruntime-node',
      'pngjs',
      'zod'
    ])
    // The same ranges as the app's own package.json.
    const root = JSON.parse(repoFile('package.json')) as { dependencies: Record<string, string> }
    for (const [name, range] of Object.entries(engine.packageJson.dependencies)) {
      expect(range, name).toBe(root.dependencies[name])
    }
    expect(engine.packageJson).not.toHaveProperty('devDependencies')
    expect(engine.files).toContain('package/dist/index.js')
    expect(engine.files).toContain('package/dist/cjs/index.js')
    expect(engine.files).toContain('package/dist/types/index.d.ts')
    expect(engine.files).toContain('package/README.md')
    const outside = engine.files.filter(
      (f) => !/^package\/(package\.json|README\.md|dist\/.+\.(js|d\.ts|json))$/.test(f)
    )
    expect(outside).toEqual([])
    // No Electron app, renderer, models or sources in it.
    expect(
      engine.files.filter((f) =>
        /(^|\/)(renderer|e2e|resources)\/|electron|\.onnx$|\/main\/|\.test\./.test(f)
      )
    ).toEqual([])
  })

  it('resolves from the project’s own node_modules, as ES module and as CommonJS', async () => {
    const esm = await node(engine.project, [
      '--input-type=module',
      '-e',
      "const e = await import('@stepwise/engine'); console.log(import.meta.resolve('@stepwise/engine'), typeof e.DPMSolverMultistepScheduler, typeof e.saveImage)"
    ])
    expect(esm.stderr).toBe('')
    expect(esm.stdout).toContain(join(engine.project, 'node_modules', '@stepwise', 'engine'))
    expect(esm.stdout).toContain('function function')
    expect(esm.stdout.startsWith(`file://${REPO_ROOT}/`)).toBe(false)
    const cjs = await node(engine.project, [
      '-e',
      "const e = require('@stepwise/engine'); console.log(require.resolve('@stepwise/engine'), typeof e.StableDiffusionPipeline)"
    ])
    expect(cjs.stdout).toContain(join('node_modules', '@stepwise', 'engine', 'dist', 'cjs'))
    expect(cjs.stdout.trim().endsWith('function')).toBe(true)
  })

  it('runs the README snippet as pasted, on the shipped model', async () => {
    const readme = docPrograms(repoFile('README.md'))
    expect(readme.map((p) => p.file)).toEqual(['snippet.mjs'])
    const snippet = readme[0]?.code as string
    expect(snippet).not.toMatch(/\.\.\/|main\/engine/)
    // The package's own README shows the same snippet.
    expect(docPrograms(repoFile('packages/engine/README.md'))).toEqual(readme)
    writeFileSync(join(engine.project, 'snippet.mjs'), snippet)
    const r = await node(engine.project, ['snippet.mjs', sdModel])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    // 25 steps; SDCFGCutoffCallback(0.4) ends guidance after step int(0.4 · 25) = 10.
    expect(r.stdout.trim()).toBe('25 steps; guidance ran on 11')
    expect(existsSync(join(engine.project, 'red-circle.png'))).toBe(true)
  }, 120_000)

  it('runs every program of docs/library.md: ES module, CommonJS and TypeScript', async () => {
    const programs = docPrograms(repoFile('docs/library.md'))
    expect(programs.map((p) => p.file.split('.').at(-1))).toEqual(
      expect.arrayContaining(['mjs', 'cjs', 'mts'])
    )
    expect(compiled.esm).toBe('')
    for (const program of programs) {
      const file = program.file.endsWith('.mts')
        ? join('esm', 'build', program.file.replace(/\.mts$/, '.mjs'))
        : program.file
      const r = await node(engine.project, [file, sdModel])
      expect(r.stderr, program.file).toBe('')
      expect(r.code, program.file).toBe(0)
    }
  }, 300_000)

  it.each(['esm', 'cjs'] as const)(
    'compiles the four documentation examples against the package’s types and runs them (%s)',
    async (kind) => {
      const dir = join(engine.project, kind)
      expect(compiled[kind]).toBe('')
      const results: Record<
        string,
        { stepsRun: number; numTimesteps: number; unetBatch: number[] }
      > = {}
      for (const name of EXAMPLES) {
        const out = join(engine.project, 'out', kind, name)
        mkdirSync(out, { recursive: true })
        const model =
          name === 'official-callback' || name.startsWith('display') ? sdxlModel : sdModel
        const r = await node(dir, [join('build', 'run.js'), name, model, out])
        expect(r.code, `${name}: ${r.stderr}`).toBe(0)
        results[name] = JSON.parse(r.stdout) as (typeof results)[string]
        expect(readdirSync(out).length, name).toBeGreaterThan(0)
      }
      // What the documentation claims (examples/README.md), from the installed package.
      const batches = (cutoff: number, t: number): number[] =>
        Array.from({ length: t }, (_, i) => (i <= cutoff ? 2 : 1))
      expect(results['official-callback']?.unetBatch).toEqual(batches(10, 25))
      expect(results['early-stopping']?.stepsRun).toBe(11)
      const intermediate = results['display-intermediate-images']
      expect(intermediate?.stepsRun).toBe(intermediate?.numTimesteps)
      const dynamic = results['dynamic-cfg'] as { numTimesteps: number; unetBatch: number[] }
      expect(dynamic.unetBatch).toEqual(
        batches(Math.trunc(0.4 * dynamic.numTimesteps), dynamic.numTimesteps)
      )
    },
    300_000
  )
})
