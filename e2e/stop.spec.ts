import { expect, test } from '@playwright/test'
import { SLOW_RUN, expectStatus, fillForm, galleryItems, openApp, snap } from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()

test('Stop reacts at once and the run ends as "stopped at step k" with the partial image', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'a yellow circle on a black background', ...SLOW_RUN })
  await page.getByTestId('generate-button').click()
  // The run is long; the first finished step proves it is under way.
  await expect(galleryItems(page).first()).toBeVisible()
  // The steps still to come are one element after the finished ones, however many there are.
  await expect(page.getByTestId('gallery-pending')).toHaveCount(1)

  // The label changes before any reply can arrive: replies are tasks, this reads after microtasks.
  const label = await page.getByTestId('stop-button').evaluate(async (button) => {
    ;(button as HTMLButtonElement).click()
    for (let i = 0; i < 5; i++) await Promise.resolve()
    return button.textContent
  })
  expect(label).toContain('Stopping…')

  await expectStatus(page, 'stopped')
  const status = await page.getByTestId('status').innerText()
  const match = /stopped at step (\d+) of (\d+)/.exec(status)
  expect(match).not.toBeNull()
  const k = Number(match?.[1])
  const total = Number(match?.[2])
  expect(k).toBeGreaterThan(0)
  expect(k).toBeLessThan(total)
  await expect(galleryItems(page)).toHaveCount(k)
  // A stopped run draws nothing for the steps that never ran.
  await expect(page.getByTestId('gallery-pending')).toHaveCount(0)
  await expect(page.getByTestId('final-image')).toBeVisible()
  await expect(page.getByTestId('result-summary')).toContainText(`Stopped at step ${k}`)
  await expect(page.getByTestId('stop-button')).toBeDisabled()
  await snap(page, 'stopped')
  await page.close()
})
