import { describe, expect, it } from 'vitest'
import { APP_FILES, appFilePaths, defaultUserDataDir, modelDirsFromEnv } from './app-paths'

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

describe('appFilePaths (what the Electron app loads)', () => {
  // Where electron-builder installs the app (its package layout; main/packaging.test.ts builds
  // each and finds these files there): the archive is app.getAppPath(), its folder
  // process.resourcesPath.
  it('resolves the packaged Linux app from app.asar and resources/', () => {
    const resources = '/opt/Stepwise/resources'
    expect(
      appFilePaths(
        { isPackaged: true, appPath: `${resources}/app.asar`, resourcesPath: resources },
        'linux'
      )
    ).toEqual({
      inferenceProcess: `/opt/Stepwise/resources/app.asar/${APP_FILES.inferenceProcess}`,
      preload: '/opt/Stepwise/resources/app.asar/out/preload/index.js',
      renderer: '/opt/Stepwise/resources/app.asar/out/renderer/index.html',
      modelsDir: '/opt/Stepwise/resources/models'
    })
  })

  it('resolves the packaged Windows app with Windows paths', () => {
    const resources = 'C:\\Program Files\\Stepwise\\resources'
    expect(
      appFilePaths(
        { isPackaged: true, appPath: `${resources}\\app.asar`, resourcesPath: resources },
        'win32'
      )
    ).toEqual({
      inferenceProcess: `${resources}\\app.asar\\${APP_FILES.inferenceProcess.replaceAll('/', '\\')}`,
      preload: `${resources}\\app.asar\\out\\preload\\index.js`,
      renderer: `${resources}\\app.asar\\out\\renderer\\index.html`,
      modelsDir: `${resources}\\models`
    })
  })

  it('resolves the packaged macOS app inside the bundle', () => {
    const resources = '/Applications/Stepwise.app/Contents/Resources'
    const files = appFilePaths(
      { isPackaged: true, appPath: `${resources}/app.asar`, resourcesPath: resources },
      'darwin'
    )
    expect(files.inferenceProcess).toBe(`${resources}/app.asar/${APP_FILES.inferenceProcess}`)
    expect(files.modelsDir).toBe(`${resources}/models`)
  })

  it('uses the checkout in development, models from its resources/models', () => {
    expect(
      appFilePaths(
        {
          isPackaged: false,
          appPath: '/src/stepwise',
          resourcesPath: '/usr/lib/electron/resources'
        },
        'linux'
      )
    ).toEqual({
      inferenceProcess: `/src/stepwise/${APP_FILES.inferenceProcess}`,
      preload: '/src/stepwise/out/preload/index.js',
      renderer: '/src/stepwise/out/renderer/index.html',
      modelsDir: '/src/stepwise/resources/models'
    })
  })
})
