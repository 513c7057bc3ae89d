import { join } from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import { version } from '../package.json'
import { findElectronBinary } from '../scripts/electron-binary.cjs'
import { OPERATION_NAMES } from '../shared/channels'

const binary = findElectronBinary()

test.describe('Electron mode', () => {
  test.skip('missing' in binary, 'skipped: no Electron binary')
  if ('missing' in binary) console.log('skipped: no Electron binary')

  test('the window renders capabilities through the preload bridge', async () => {
    if (!('path' in binary)) return
    const app = await electron.launch({
      executablePath: binary.path,
      args: [join(__dirname, '..')]
    })
    const page = await app.firstWindow()
    await expect(page.getByTestId('app-version')).toHaveText(version)
    await expect(page.getByTestId('app-mode')).toHaveText('electron')
    const exposed = await page.evaluate(() => ({
      api: Object.keys((window as unknown as { stepwise: object }).stepwise).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process
    }))
    expect(exposed.api).toEqual([...OPERATION_NAMES, 'onEvent'].sort())
    expect(exposed.require).toBe('undefined')
    expect(exposed.process).toBe('undefined')
    await app.close()
  })
})
