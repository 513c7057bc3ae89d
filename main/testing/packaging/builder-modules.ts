import { createRequire } from 'node:module'
import { join } from 'node:path'
import type * as Asar from '@electron/asar'
import type * as FuseConfig from '@electron/fuses'
import type * as Resedit from 'resedit'

/** The repository root (this file is main/testing/packaging/builder-modules.ts). */
export const ROOT = join(__dirname, '..', '..', '..')

// The packaging tests read what electron-builder wrote with the very copies of the libraries it
// wrote them with (its dependencies, not ours): the asar reader, the fuse wire's constants and
// the PE resource editor. Resolved through app-builder-lib so a second copy elsewhere in
// node_modules cannot stand in for them.
const fromBuilder = createRequire(
  createRequire(join(ROOT, 'node_modules', 'electron-builder', 'package.json')).resolve(
    'app-builder-lib/package.json'
  )
)

/** The constants of @electron/fuses' wire format (dist/constants.js, not re-exported by its index). */
export interface FuseWireConstants {
  SENTINEL: string
  FuseState: { DISABLE: number; ENABLE: number; REMOVED: number; INHERIT: number }
}

/** @electron/asar as electron-builder uses it. */
export const asar = fromBuilder('@electron/asar') as typeof Asar

/** @electron/fuses' option indices and wire constants as electron-builder uses them. */
export const fuses = {
  ...(fromBuilder('@electron/fuses') as typeof FuseConfig),
  ...(fromBuilder('@electron/fuses/dist/constants') as FuseWireConstants)
}

/** The PE resource editor electron-builder edits Windows executables with. */
export const resedit = fromBuilder('resedit') as typeof Resedit

/** The plist parser electron-builder reads and writes macOS Info.plist files with. */
export const plist = fromBuilder('plist') as { parse(xml: string): unknown }
