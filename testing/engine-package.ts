import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

/**
 * The engine package as a new user gets it: built and packed from this repository, then
 * installed from the tarball into an empty project outside the repository. npm runs offline: the
 * package's dependencies are linked from this repository's node_modules (there after `npm ci`),
 * exactly those the packed package.json declares, so a missing declaration fails the import.
 */

const run = promisify(execFile)

/** The repository root. */
export const REPO_ROOT = resolve(__dirname, '..')

/** The result of one command in the project. */
export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `file args` in `cwd`, never throwing: the exit code and output come back. */
export async function runIn(
  cwd: string,
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {}
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, [...args], {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 2 ** 20
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(error)
    }
  }
}

async function mustRun(cwd: string, file: string, args: readonly string[]): Promise<string> {
  const r = await runIn(cwd, file, args, {
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    ONNXRUNTIME_NODE_INSTALL: 'skip'
  })
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${r.stderr}`)
  return r.stdout
}

/** The npm CLI on PATH (what `npm ci` and `npm test` ran). */
function npm(cwd: string, args: readonly string[]): Promise<string> {
  return mustRun(cwd, 'npm', args)
}

/** A packed and installed engine package. */
export interface InstalledEngine {
  /** The scratch folder (remove it when done). */
  scratch: string
  tarball: string
  /** Paths inside the tarball (`package/…`). */
  files: string[]
  /** The package.json inside the tarball. */
  packageJson: { name: string; version: string; dependencies: Record<string, string> } & Record<
    string,
    unknown
  >
  /** The project the tarball is installed in: no path of it leads into the repository. */
  project: string
}

/**
 * Builds `packages/engine` (npm run build:engine), packs it, and installs the tarball into a new
 * project in the system's temporary folder, offline. `devLinks` are extra packages the project
 * itself uses (e.g. `@types/node` to compile TypeScript), linked from this repository too.
 */
export async function packAndInstallEngine(
  devLinks: readonly string[] = []
): Promise<InstalledEngine> {
  const scratch = mkdtempSync(join(tmpdir(), 'stepwise-engine-package-'))
  await mustRun(REPO_ROOT, process.execPath, [join(REPO_ROOT, 'scripts/build-engine-package.mjs')])
  const packed = JSON.parse(
    await npm(REPO_ROOT, ['pack', './packages/engine', '--json', '--pack-destination', scratch])
  ) as [{ filename: string; files: { path: string }[] }]
  const tarball = join(scratch, packed[0].filename)
  const files = packed[0].files.map((f) => `package/${f.path}`)
  const packageJson = JSON.parse(
    await mustRun(scratch, 'tar', ['-xOzf', tarball, 'package/package.json'])
  ) as InstalledEngine['packageJson']

  const project = join(scratch, 'project')
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'engine-user', version: '1.0.0', private: true }, null, 2)}\n`
  )
  const links = [...Object.keys(packageJson.dependencies), ...devLinks].map(
    (name) => `${name}@file:${join(REPO_ROOT, 'node_modules', name)}`
  )
  await npm(project, [
    'install',
    '--offline',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    ...links,
    tarball
  ])
  return { scratch, tarball, files, packageJson, project }
}

/** Copies a model folder of this repository into the project, so nothing refers back to it. */
export function copyModel(project: string, repoPath: string): string {
  const dest = join(project, 'models', repoPath.split('/').at(-1) as string)
  cpSync(join(REPO_ROOT, repoPath), dest, { recursive: true })
  return dest
}

/** A runnable program in a Markdown file: a fenced block whose first line is `// <file name>`. */
export interface DocProgram {
  file: string
  code: string
}

/** The fenced code blocks of `markdown` that name their file on their first line. */
export function docPrograms(markdown: string): DocProgram[] {
  const out: DocProgram[] = []
  for (const match of markdown.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)) {
    const code = match[1] as string
    const name = /^\/\/ ([\w.-]+\.(?:mjs|cjs|mts|cts))\b/.exec(code)
    if (name !== null) out.push({ file: name[1] as string, code })
  }
  return out
}

/** Reads a repository file. */
export function repoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8')
}
