import { expect, test } from '@playwright/test'
import { FIXED_CPU_RUN, expectStatus, fillForm, galleryState, openApp } from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

/**
 * The automatic low-memory mode in the app, browser mode: the server's run-plan memory limit is
 * lowered with STEPWISE_MEMORY_LIMIT_BYTES to 42 MiB, where the shipped model at 512×512 fits
 * only the low-memory mode (estimates: normal 333 MiB, VAE in tiles 51 MiB, tiles and one UNet
 * row per call 35 MiB; main/cli/low-memory.test.ts checks the same choice from the estimates
 * themselves). The run goes through, the result says which mode it used and why, and each step
 * ran the UNet's two rows as two calls; a size over even that mode is refused.
 */

const LIMIT_BYTES = 42 * 2 ** 20

const app = useAppSession({ env: { STEPWISE_MEMORY_LIMIT_BYTES: String(LIMIT_BYTES) } })

test('a size only the low-memory mode fits runs in it, and the result says so', async () => {
  const page = await openApp(app.browser, app.server, { width: 1440, height: 1000 })
  await expect(page.getByTestId('model-select')).toHaveValue('stepwise-shapes-64')
  await fillForm(page, { ...FIXED_CPU_RUN, steps: '3', width: '512', height: '512' })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  const note = page.getByTestId('low-memory-note')
  await expect(note).toBeVisible()
  await expect(note).toHaveText(
    /^Low-memory mode: the UNet ran its 2 rows one per call \(classifier-free guidance as separate unconditional and conditional calls\) and the VAE decoded 512×512 in tiles of 64 px \(as diffusers' enable_vae_tiling\) to fit the memory limit of 0\.04 GiB: the normal mode needs an estimated 0\.33 GiB, the low-memory mode 0\.03 GiB$/
  )
  const steps = await galleryState(page)
  expect(steps.map((s) => s.step)).toEqual([0, 1, 2])
  await expect(page.getByTestId('final-image')).toBeVisible()

  // Over even the low-memory mode: refused with both estimates, nothing runs.
  await fillForm(page, { width: '2048', height: '2048' })
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('error-message')).toContainText('2048×2048 is too large for memory')
  await expect(page.getByTestId('error-message')).toContainText('even the low-memory mode')
  await page.close()
})
