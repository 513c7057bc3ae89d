import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { MODEL_ID, expectStatus, fillForm, openApp, snap } from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

/* The conveniences every diffusion app has (issue 13). */
const app = useAppSession()

/** The History tiles' seeds, in order. */
async function historySeeds(page: Page): Promise<number[]> {
  const texts = await page.getByTestId('history-item').allInnerTexts()
  return texts.map((t) => Number(/seed (\d+)/.exec(t)?.[1]))
}

test('a result can be viewed full size with zoom, saved, opened from History in the main view, and its PNG read back into the form', async () => {
  const page = await openApp(app.browser, app.server)
  const prompt = 'a red circle on a white background'
  await fillForm(page, { prompt, steps: '4', seed: '321', guidance: '6' })
  await expect(page.getByTestId('prompt-token-count')).toContainText(/\d+ \/ \d+ tokens/)
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await expect(page.getByTestId('live-prompt')).toHaveText(prompt)

  // Full size, zoomed in and out, closed with Escape.
  await page.getByTestId('result-view').click()
  const viewer = page.getByTestId('image-viewer')
  await expect(viewer).toBeVisible()
  await expect(page.getByTestId('viewer-zoom-level')).toContainText('Fit')
  await page.getByTestId('viewer-zoom-actual').click()
  await expect(page.getByTestId('viewer-zoom-level')).toHaveText('100 %')
  await page.getByTestId('viewer-zoom-in').click()
  await expect(page.getByTestId('viewer-zoom-level')).toHaveText('200 %')
  const width = await page.getByTestId('viewer-image').evaluate((img) => img.clientWidth)
  expect(width).toBe(
    2 *
      (await page
        .getByTestId('viewer-image')
        .evaluate((img) => (img as HTMLImageElement).naturalWidth))
  )
  await snap(page, 'viewer-200')
  await page.keyboard.press('Escape')
  await expect(viewer).toHaveCount(0)

  // Saved as a file named by its seed.
  const [saved] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('result-save').click()
  ])
  expect(saved.suggestedFilename()).toBe('stepwise-321.png')
  // Copied as a PNG.
  await page
    .context()
    .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.server.origin })
  await page.getByTestId('result-copy').click()
  await expect(page.getByTestId('result-action-status')).toHaveText('Copied to the clipboard')
  const types = await page.evaluate(async () => (await navigator.clipboard.read())[0]?.types ?? [])
  expect(types).toContain('image/png')

  // History: the tile says scheduler and guidance; the detail opens in the main view.
  const tile = page.getByTestId('history-item').first()
  await expect(tile.getByTestId('history-item-settings')).toContainText('CFG 6')
  await tile.getByRole('button', { name: prompt }).click()
  await expect(page.getByTestId('history-detail')).toBeVisible()
  await expect(page.getByTestId('final-image')).toHaveCount(0)
  const [fromHistory] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('history-save').click()
  ])
  const png = await fromHistory.path()
  await page.getByTestId('history-close').click()
  await expect(page.getByTestId('final-image')).toBeVisible()

  // PNG Info: the saved file's parameters go back into the form.
  await fillForm(page, { prompt: 'something else', steps: '9', seed: '1' })
  await page.getByTestId('png-info-input').setInputFiles({
    name: 'stepwise-321.png',
    mimeType: 'image/png',
    buffer: readFileSync(png)
  })
  await expect(page.getByTestId('png-info-status')).toContainText('stepwise-321.png')
  await expect(page.getByTestId('prompt-input')).toHaveValue(prompt)
  await expect(page.getByTestId('steps-input')).toHaveValue('4')
  await expect(page.getByTestId('seed-input')).toHaveValue('321')

  // The same file dropped on the form.
  await fillForm(page, { prompt: 'something else again', steps: '8' })
  const bytes = [...readFileSync(png)]
  const dataTransfer = await page.evaluateHandle((data) => {
    const transfer = new DataTransfer()
    transfer.items.add(new File([new Uint8Array(data)], 'dropped.png', { type: 'image/png' }))
    return transfer
  }, bytes)
  await page.getByTestId('prompt-input').dispatchEvent('drop', { dataTransfer })
  await expect(page.getByTestId('png-info-status')).toContainText('dropped.png')
  await expect(page.getByTestId('prompt-input')).toHaveValue(prompt)
  await expect(page.getByTestId('steps-input')).toHaveValue('4')
  await page.close()
})

test('batch count queues runs with seeds s, s+1; images per prompt makes several images per run', async () => {
  const page = await openApp(app.browser, app.server)
  const before = await page.getByTestId('history-item').count()
  await fillForm(page, { prompt: 'a white square on a blue background', steps: '3', seed: '40' })
  await page.getByTestId('batch-count-input').fill('2')
  await page.getByTestId('images-per-prompt-input').fill('2')
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('history-item')).toHaveCount(before + 4, { timeout: 90_000 })
  const seeds = (await historySeeds(page)).slice(0, 4).sort()
  expect(seeds).toEqual([40, 40, 41, 41])
  await expect(page.getByTestId('batch-image')).toHaveCount(2)
  await page.getByTestId('batch-image').nth(1).click()
  await expect(page.getByTestId('result-summary')).toContainText('image 2 of 2')

  // An empty filter says so.
  await page.getByTestId('history-filter').fill('no such prompt anywhere')
  await expect(page.getByTestId('history-filter-empty')).toContainText('No stored result matches')
  await page.getByTestId('history-filter').fill('')
  await page.close()
})

test('the form is kept across reloads', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'kept across reloads', steps: '7', guidance: '3.5' })
  await page.getByTestId('batch-count-input').fill('3')
  // Saved a moment after the last change.
  await page.waitForTimeout(1000)
  await page.reload()
  await expect(page.getByTestId('model-select')).toHaveValue(MODEL_ID)
  await expect(page.getByTestId('prompt-input')).toHaveValue('kept across reloads')
  await expect(page.getByTestId('steps-input')).toHaveValue('7')
  await expect(page.getByTestId('guidance-input')).toHaveValue('3.5')
  await expect(page.getByTestId('batch-count-input')).toHaveValue('3')
  // A prompt past the model's limit: counted as typed, with a short warning.
  await page.getByTestId('prompt-input').fill('red '.repeat(100))
  await expect(page.getByTestId('prompt-token-count')).toContainText(
    /^102 \/ \d+ tokens · too long: the model ignores the last \d+ of this prompt$/
  )
  await page.getByTestId('form-reset').click()
  await expect(page.getByTestId('prompt-input')).toHaveValue('')
  await expect(page.getByTestId('batch-count-input')).toHaveValue('1')
  await page.close()
})

for (const viewport of [
  { width: 900, height: 700 },
  { width: 600, height: 500 }
]) {
  test(`at ${viewport.width}×${viewport.height}, Generate and the live view are on screen without scrolling the page`, async () => {
    const page = await openApp(app.browser, app.server, viewport)
    await snap(page, `narrow-${viewport.width}x${viewport.height}`)
    await expect(page.getByTestId('generate-button')).toBeInViewport({ ratio: 1 })
    await expect(page.getByTestId('stage-frame')).toBeInViewport({ ratio: 0.5 })
    // The form scrolls inside its own pane: the page does not.
    for (const field of ['prompt-input', 'steps-input']) {
      await page.getByTestId(field).scrollIntoViewIfNeeded()
      await expect(page.getByTestId(field)).toBeInViewport()
    }
    await expect(page.getByTestId('generate-button')).toBeInViewport({ ratio: 1 })
    expect(await page.evaluate(() => document.scrollingElement?.scrollTop ?? 0)).toBe(0)
    await page.close()
  })
}
