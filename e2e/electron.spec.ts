import { join } from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import type { ElectronApplication, Page } from '@playwright/test'
import { version } from '../package.json'
import { findElectronBinary } from '../scripts/electron-binary.cjs'
import { OPERATION_NAMES } from '../shared/channels'
import {
  MODELS_DIR,
  SLOW_RUN,
  expectStatus,
  fillForm,
  galleryItems,
  galleryState,
  selectTestModel,
  snap,
  tempDataDir
} from './fixtures/app-page'

const binary = findElectronBinary()

/** Launches the app on a data folder and the test models; returns it with its window. */
async function launch(dataDir: string): Promise<{ app: ElectronApplication; page: Page }> {
  if (!('path' in binary)) throw new Error('no Electron binary')
  const app = await electron.launch({
    executablePath: binary.path,
    args: [join(__dirname, '..')],
    env: { ...process.env, STEPWISE_DATA_DIR: dataDir, STEPWISE_MODELS_DIR: MODELS_DIR }
  })
  const page = await app.firstWindow()
  await selectTestModel(page)
  return { app, page }
}

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
    expect(exposed.api).toEqual([...OPERATION_NAMES, 'onEvent', 'pathForFile'].sort())
    expect(exposed.require).toBe('undefined')
    expect(exposed.process).toBe('undefined')
    await app.close()
  })

  test('the core flow: run, inspect, stop, CFG cutoff and history across a restart', async () => {
    const data = tempDataDir()
    try {
      let { app, page } = await launch(data.dir)
      await fillForm(page, {
        prompt: 'a red circle on a blue background',
        steps: '10',
        guidance: '7.5',
        seed: '7',
        scheduler: 'EulerDiscreteScheduler',
        cutoffPercent: 40
      })
      await page.getByTestId('generate-button').click()
      await expectStatus(page, 'done')
      const steps = await galleryState(page)
      expect(steps.map((s) => s.step)).toEqual([...Array(10).keys()])
      expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.step <= 4 ? 'on' : 'off')))
      await expect(page.getByTestId('final-image')).toBeVisible()
      await snap(page, 'electron-run-done')

      await fillForm(page, { prompt: 'a long run to stop', ...SLOW_RUN, cutoffPercent: 100 })
      await page.getByTestId('generate-button').click()
      await expect(galleryItems(page).first()).toBeVisible()
      await page.keyboard.press('Escape')
      await expectStatus(page, 'stopped')
      await expect(page.getByTestId('final-image')).toBeVisible()
      expect(await galleryItems(page).count()).toBeLessThan(500)
      await expect(page.getByTestId('history-item')).toHaveCount(2)
      await app.close()

      ;({ app, page } = await launch(data.dir))
      await expect(page.getByTestId('history-item')).toHaveCount(2)
      await app.close()
    } finally {
      data.remove()
    }
  })
})
