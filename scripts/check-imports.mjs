// Reads the import graph of the TypeScript sources and fails on an import cycle or an upward
// import between layers (docs/architecture.md, "Layers"). ESLint's no-restricted-imports keeps
// everything outside main/engine on the engine's index; this keeps the layers in order.
//
//   node scripts/check-imports.mjs            (part of `npm run lint`)
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Layers, lowest first: a module may import its own unit and units of lower rank only. A unit is
 * the longest listed prefix of the file's path. The run plan is the one module of main/jobs that
 * the inference host uses too, so it sits below both (it imports only the engine and shared).
 */
const RANKS = {
  'package.json': 0,
  shared: 0,
  'main/engine': 1,
  'main/events': 1,
  'main/rpc': 1,
  'main/app-paths.ts': 1,
  'main/external-links.ts': 1,
  'main/window-options.ts': 1,
  renderer: 1,
  'main/hub': 2,
  'main/history': 2,
  'main/security.ts': 2,
  'main/jobs/run-plan.ts': 2,
  'main/model-library': 3,
  'main/inference': 3,
  'main/jobs': 4,
  'main/api': 5,
  'main/ipc': 6,
  'main/server': 6,
  'main/cli': 6,
  'main/preload': 6,
  'main/index.ts': 7,
  'main/server.ts': 7,
  'main/cli.ts': 7,
  // Test-only code may use any layer; no production module may import it.
  testing: 8,
  'main/engine/testing': 8
}

/** Test files and test helpers: outside the layering, but never imported by production code. */
const isTestCode = (file) =>
  /\.test\.tsx?$/.test(file) || unitOf(file) === 'testing' || unitOf(file) === 'main/engine/testing'

function unitOf(file) {
  let best = null
  for (const prefix of Object.keys(RANKS)) {
    if (
      (file === prefix || file.startsWith(`${prefix}/`)) &&
      (best === null || prefix.length > best.length)
    ) {
      best = prefix
    }
  }
  return best
}

const files = execFileSync(
  'git',
  ['ls-files', '-co', '--exclude-standard', 'main', 'shared', 'renderer', 'testing'],
  {
    cwd: root,
    encoding: 'utf8'
  }
)
  .split('\n')
  .filter((f) => /\.(ts|tsx|mjs)$/.test(f) && existsSync(join(root, f)))

function resolveImport(from, specifier) {
  const base = normalize(join(dirname(from), specifier))
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    const full = join(root, candidate)
    if (existsSync(full) && statSync(full).isFile()) return candidate
  }
  return null
}

const graph = new Map()
const problems = []
for (const file of files) {
  const source = readFileSync(join(root, file), 'utf8')
  const targets = new Set()
  // TypeScript's own scan: static imports, re-exports and import() calls, never comments.
  for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
    if (!fileName.startsWith('.')) continue
    const target = resolveImport(file, fileName)
    if (target === null) continue
    targets.add(target)
    const [from, to] = [unitOf(file), unitOf(target)]
    if (from === null || to === null || from === to) continue
    if (isTestCode(target) && !isTestCode(file)) {
      problems.push(`${file} imports test-only code ${target}`)
    } else if (!isTestCode(file) && RANKS[to] >= RANKS[from]) {
      problems.push(`${file} (${from}) imports ${target} (${to}): not a lower layer`)
    }
  }
  graph.set(file, targets)
}

// Cycles: Tarjan's strongly connected components; any component of two or more files is one.
let index = 0
const stack = []
const state = new Map()
function connect(file) {
  const s = { index, low: index, onStack: true }
  index++
  state.set(file, s)
  stack.push(file)
  for (const next of graph.get(file) ?? []) {
    const t = state.get(next)
    if (t === undefined) {
      connect(next)
      s.low = Math.min(s.low, state.get(next).low)
    } else if (t.onStack) {
      s.low = Math.min(s.low, t.index)
    }
  }
  if (s.low !== s.index) return
  const component = []
  let member
  do {
    member = stack.pop()
    state.get(member).onStack = false
    component.push(member)
  } while (member !== file)
  if (component.length > 1) problems.push(`import cycle: ${component.sort().join(' ↔ ')}`)
}
for (const file of graph.keys()) if (!state.has(file)) connect(file)

if (problems.length > 0) {
  for (const problem of problems) console.error(problem)
  process.exit(1)
}
console.log(`imports: ${files.length} files, no cycles, no upward imports`)
