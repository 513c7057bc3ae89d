import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fuses, resedit } from './builder-modules'

/** A platform electron-builder packages for, by Node's names. */
export type TargetPlatform = 'linux' | 'win32' | 'darwin'

/** A fuse's setting by @electron/fuses option name (`RunAsNode`, …): true is enabled. */
export type FuseSettings = Record<string, boolean>

/** A fuse wire found in a binary. */
export interface FuseWire {
  version: number
  /** One state per fuse, in @electron/fuses' option order (see {@link fuseNames}). */
  states: number[]
}

/** The fuse option names of @electron/fuses, in wire order (`RunAsNode` first). */
export function fuseNames(): string[] {
  const names: string[] = []
  for (const [name, index] of Object.entries(fuses.FuseV1Options)) {
    if (typeof index === 'number') names[index] = name
  }
  return names
}

/**
 * The bytes Electron carries to mark its fuses: @electron/fuses' sentinel, the wire version,
 * the number of fuses and one state byte per fuse. @electron/fuses finds the sentinel anywhere
 * in the file and rewrites the state bytes, so a stand-in needs only these bytes.
 */
export function fuseWireBytes(settings: FuseSettings): Buffer {
  const names = fuseNames()
  const states = names.map((name) => {
    const setting = settings[name]
    if (setting === undefined) return fuses.FuseState.INHERIT
    return setting ? fuses.FuseState.ENABLE : fuses.FuseState.DISABLE
  })
  return Buffer.concat([
    Buffer.from(fuses.SENTINEL, 'latin1'),
    Buffer.from([Number(fuses.FuseVersion.V1), names.length]),
    Buffer.from(states)
  ])
}

/** Every fuse wire in a file (a universal macOS binary has one per slice). */
export function readFuseWires(file: string): FuseWire[] {
  const bytes = readFileSync(file)
  const sentinel = Buffer.from(fuses.SENTINEL, 'latin1')
  const wires: FuseWire[] = []
  for (let at = bytes.indexOf(sentinel); at !== -1; at = bytes.indexOf(sentinel, at + 1)) {
    const start = at + sentinel.length
    const version = bytes[start] ?? -1
    const length = bytes[start + 1] ?? 0
    wires.push({ version, states: [...bytes.subarray(start + 2, start + 2 + length)] })
  }
  return wires
}

/** The settings a fuse wire holds, by option name; fuses left to Electron's default are absent. */
export function fuseSettings(wire: FuseWire): FuseSettings {
  const names = fuseNames()
  const settings: FuseSettings = {}
  wire.states.forEach((state, index) => {
    const name = names[index] ?? `fuse ${index}`
    if (state === fuses.FuseState.ENABLE) settings[name] = true
    else if (state === fuses.FuseState.DISABLE) settings[name] = false
  })
  return settings
}

const NOTE =
  "A stand-in for Electron, made by Stepwise's packaging test so electron-builder can package " +
  'the app offline. It carries only the fuse wire electron-builder flips; it runs nothing.'

function plist(entries: Record<string, string>): string {
  const body = Object.entries(entries)
    .map(([key, value]) => `  <key>${key}</key>\n  <string>${value}</string>`)
    .join('\n')
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" ' +
    '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
    `<plist version="1.0">\n<dict>\n${body}\n</dict>\n</plist>\n`
  )
}

function shellStub(wire: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`#!/bin/sh\n# ${NOTE}\n# `),
    wire,
    Buffer.from('\necho "stand-in for Electron: nothing to run" >&2\nexit 1\n')
  ])
}

/** A Windows executable with a version resource (electron-builder edits it) and the wire. */
function windowsExecutable(wire: Buffer): Buffer {
  const exe = resedit.NtExecutable.createEmpty(false, false)
  const resources = resedit.NtExecutableResource.from(exe)
  const language = { lang: 1033, codepage: 1200 }
  const version = resedit.Resource.VersionInfo.createEmpty()
  version.lang = language.lang
  version.setStringValues(language, { ProductName: 'Electron', Comments: NOTE })
  version.outputToResourceEntries(resources.entries)
  // RT_RCDATA: resource bytes survive electron-builder's rewrites of the executable unchanged.
  const data = Uint8Array.from(wire).buffer
  resources.entries.push({ type: 10, id: 1, ...language, bin: data })
  resources.outputResource(exe)
  return Buffer.from(exe.generate())
}

/**
 * Writes an unpacked Electron distribution for `platform` into `dir` (electron-builder's
 * `electronDist`) whose fuses start as `initialFuses`: `electron` (Linux), `electron.exe`
 * (Windows) or `Electron.app` (macOS, with its helper app and framework binary, which is where
 * macOS Electron keeps the fuse wire).
 */
export function writeStandInElectron(
  dir: string,
  platform: TargetPlatform,
  initialFuses: FuseSettings
): void {
  const wire = fuseWireBytes(initialFuses)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'LICENSE'), `${NOTE}\n`)
  if (platform === 'linux') {
    writeFileSync(join(dir, 'electron'), shellStub(wire), { mode: 0o755 })
    return
  }
  if (platform === 'win32') {
    writeFileSync(join(dir, 'electron.exe'), windowsExecutable(wire))
    return
  }
  const contents = join(dir, 'Electron.app', 'Contents')
  const bundle = (path: string, executable: string, id: string): void => {
    mkdirSync(join(path, 'MacOS'), { recursive: true })
    writeFileSync(
      join(path, 'Info.plist'),
      plist({ CFBundleExecutable: executable, CFBundleIdentifier: id, CFBundleName: executable })
    )
    writeFileSync(join(path, 'MacOS', executable), shellStub(Buffer.alloc(0)), { mode: 0o755 })
  }
  bundle(contents, 'Electron', 'com.github.Electron')
  mkdirSync(join(contents, 'Resources'), { recursive: true })
  bundle(
    join(contents, 'Frameworks', 'Electron Helper.app', 'Contents'),
    'Electron Helper',
    'com.github.Electron.helper'
  )
  const framework = join(contents, 'Frameworks', 'Electron Framework.framework')
  mkdirSync(framework, { recursive: true })
  writeFileSync(join(framework, 'Electron Framework'), wire)
}
