import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './builder-modules'
import type { FuseSettings, TargetPlatform } from './stand-in-electron'
import { writeStandInElectron } from './stand-in-electron'

/** A platform and CPU to package for (Node's names). */
export interface PackageTarget {
  platform: TargetPlatform
  arch: 'x64' | 'arm64'
}

/** Where things are in an unpacked app electron-builder made. */
export interface UnpackedApp {
  target: PackageTarget
  /** The folder electron-builder wrote (`linux-unpacked`, `win-unpacked`, `mac-arm64`). */
  appOutDir: string
  /** What Electron calls `process.resourcesPath`: holds app.asar and the shipped models. */
  resourcesDir: string
  /** The binary electron-builder flipped the fuses in. */
  fuseFile: string
  /** electron-builder's log, for failure messages. */
  log: string
}

const BUILDER_FLAGS: Record<TargetPlatform, string> = {
  linux: '--linux',
  win32: '--win',
  darwin: '--mac'
}

/** The project's product name and the Linux executable's name (package.json name). */
const PRODUCT_NAME = 'Stepwise'
const LINUX_EXECUTABLE = 'stepwise'

function layout(target: PackageTarget, appOutDir: string, log: string): UnpackedApp {
  if (target.platform === 'darwin') {
    const contents = join(appOutDir, `${PRODUCT_NAME}.app`, 'Contents')
    return {
      target,
      appOutDir,
      resourcesDir: join(contents, 'Resources'),
      fuseFile: join(contents, 'Frameworks', 'Electron Framework.framework', 'Electron Framework'),
      log
    }
  }
  const executable = target.platform === 'win32' ? `${PRODUCT_NAME}.exe` : LINUX_EXECUTABLE
  return {
    target,
    appOutDir,
    resourcesDir: join(appOutDir, 'resources'),
    fuseFile: join(appOutDir, executable),
    log
  }
}

/**
 * Packages the built app (out/) unpacked for `target` with the project's electron-builder.yml,
 * offline: a stand-in Electron distribution (fuses starting as `initialFuses`) replaces the
 * download. Everything goes under `workDir`, electron-builder's temporary files included.
 */
export async function packageUnpacked(
  target: PackageTarget,
  workDir: string,
  initialFuses: FuseSettings
): Promise<UnpackedApp> {
  const name = `${target.platform}-${target.arch}`
  const electronDist = join(workDir, `electron-${name}`)
  const output = join(workDir, `release-${name}`)
  const tmp = join(workDir, 'tmp')
  mkdirSync(tmp, { recursive: true })
  writeStandInElectron(electronDist, target.platform, initialFuses)
  const args = [
    join(ROOT, 'node_modules', 'electron-builder', 'cli.js'),
    '--dir',
    BUILDER_FLAGS[target.platform],
    `--${target.arch}`,
    '--publish',
    'never',
    '--config',
    'electron-builder.yml',
    `-c.electronDist=${electronDist}`,
    `-c.directories.output=${output}`
  ]
  // Code signing needs the target's tools and a certificate; the stand-in cannot be signed.
  if (target.platform === 'darwin') args.push('-c.mac.identity=null')
  let log: string
  try {
    const result = await promisify(execFile)(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        TMPDIR: tmp,
        ELECTRON_BUILDER_CACHE: join(workDir, 'cache'),
        CSC_IDENTITY_AUTO_DISCOVERY: 'false'
      },
      maxBuffer: 16 * 1024 * 1024
    })
    log = result.stdout + result.stderr
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(
      `electron-builder failed for ${name}:\n${failure.stdout ?? ''}${failure.stderr ?? failure.message}`,
      { cause: error }
    )
  }
  const made = readdirSync(output).filter((entry) => statSync(join(output, entry)).isDirectory())
  if (made.length !== 1) {
    throw new Error(`expected one unpacked app in ${output}, found: ${made.join(', ')}\n${log}`)
  }
  return layout(target, join(output, made[0] as string), log)
}

/** The total size in bytes of the files under `dir` (what an installer unpacks). */
export function treeSize(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += treeSize(path)
    else if (entry.isFile()) total += statSync(path).size
  }
  return total
}

/** Every file under `dir`, as `/`-separated paths relative to it. */
export function filesUnder(dir: string, prefix = ''): string[] {
  const files: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) files.push(...filesUnder(join(dir, entry.name), rel))
    else files.push(rel)
  }
  return files.sort()
}
