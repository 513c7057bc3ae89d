import { describe, expect, it } from 'vitest'
import { defaultUserDataDir, modelDirsFromEnv } from './app-paths'

describe('defaultUserDataDir (what Electron uses for userData)', () => {
  it('follows XDG on Linux', () => {
    expect(defaultUserDataDir('linux', {}, '/home/ann')).toBe('/home/ann/.config/Stepwise')
    expect(defaultUserDataDir('linux', { XDG_CONFIG_HOME: '/cfg' }, '/home/ann')).toBe(
      '/cfg/Stepwise'
    )
  })

  it('uses Application Support on macOS and APPDATA on Windows', () => {
    expect(defaultUserDataDir('darwin', {}, '/Users/ann')).toBe(
      '/Users/ann/Library/Application Support/Stepwise'
    )
    expect(defaultUserDataDir('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'x')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Stepwise'
    )
  })
})

describe('modelDirsFromEnv', () => {
  it('splits like PATH', () => {
    expect(modelDirsFromEnv(undefined)).toEqual([])
    expect(modelDirsFromEnv('/a::/b', 'linux')).toEqual(['/a', '/b'])
    expect(modelDirsFromEnv('C:\\a;D:\\b', 'win32')).toEqual(['C:\\a', 'D:\\b'])
  })
})
