import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/**
 * `npm run dist` needs to download Electron, which CI cannot; so the installer configuration is
 * checked for what matters instead: the targets, onnxruntime-node's native code outside the
 * asar, the default model shipped where main looks for it (process.resourcesPath/models), and
 * the Electron fuses of the security checklist.
 */
interface BuilderConfig {
  productName?: string
  files?: string[]
  asar?: boolean
  asarUnpack?: string[]
  extraResources?: Array<{ from: string; to: string }>
  electronFuses?: Record<string, boolean>
  linux?: { target?: string[] }
  win?: { target?: string[] }
  mac?: { target?: string[] }
}

const ROOT = join(__dirname, '..')
const config = parse(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig

describe('electron-builder.yml', () => {
  it('builds AppImage and deb, an NSIS installer and a dmg', () => {
    expect(config.linux?.target).toEqual(expect.arrayContaining(['AppImage', 'deb']))
    expect(config.win?.target).toEqual(expect.arrayContaining(['nsis']))
    expect(config.mac?.target).toEqual(expect.arrayContaining(['dmg']))
    expect(config.productName).toBe('Stepwise')
  })

  it('packs the build into an asar but keeps onnxruntime-node native code unpacked', () => {
    expect(config.asar).toBe(true)
    expect(config.files).toContain('out/**')
    expect(config.asarUnpack).toContain('node_modules/onnxruntime-node/**')
    expect(config.asarUnpack).toContain('**/*.node')
  })

  it('ships the default model as a resource where main looks for it', () => {
    expect(config.extraResources).toContainEqual(
      expect.objectContaining({ from: 'resources/models', to: 'models' })
    )
  })

  it('sets the Electron fuses', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true
    })
  })
})
