import { expect, test } from '@playwright/test'
import {
  expectStatus,
  fillForm,
  finalImageBytes,
  galleryItems,
  openApp,
  snap
} from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()

/**
 * The shipped model at 768², where a step takes seconds on a CI machine: slow enough that Stop
 * offers "Stop now", and that the inference process is ended in the middle of a step.
 */
const SLOW_STEPS = {
  prompt: 'a yellow circle on a black background',
  steps: '4',
  guidance: '7.5',
  seed: '77',
  width: '768',
  height: '768',
  scheduler: 'EulerDiscreteScheduler'
}

test('Stop now ends a slow run mid-step; the last finished step is the result, in History, and Continue finishes it', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, SLOW_STEPS)
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done', 120_000)
  const uninterrupted = await finalImageBytes(page)
  // A finished run offers no Stop now.
  await expect(page.getByTestId('stop-now-button')).toHaveCount(0)

  await page.getByTestId('generate-button').click()
  // The finished run's steps stay in view until the new job is shown: wait for it first.
  await expectStatus(page, 'running')
  await expect(galleryItems(page).first()).toBeVisible({ timeout: 120_000 })
  const stopNow = page.getByTestId('stop-now-button')
  await expect(stopNow).toBeVisible()
  await snap(page, 'stop-now-offered')
  await stopNow.click()
  await expect(page.getByTestId('status')).toContainText(/stopped at step \d+/)
  await expect(stopNow).toHaveCount(0)
  await expect(page.getByTestId('final-image')).toBeVisible({ timeout: 120_000 })
  const summary = page.getByTestId('result-summary')
  await expect(summary).toContainText(/Stopped at step \d+ of 4/)
  const k = Number(/Stopped at step (\d+) of 4/.exec(await summary.innerText())?.[1])
  expect(k).toBeGreaterThanOrEqual(1)
  expect(k).toBeLessThan(4)
  await expect(page.getByTestId('continue-button')).toBeVisible()
  await snap(page, 'stopped-now')

  const stopped = page.getByTestId('history-item').filter({ hasText: `stopped ${k}/4` })
  await expect(stopped).toHaveCount(1)
  await stopped.click()
  const detail = page.getByTestId('history-detail')
  await expect(detail).toContainText(`${k} of 4 (stopped)`)
  await detail.getByTestId('continue-button').click()
  await expect(page.getByTestId('result-summary')).toContainText(`continued from step ${k}`, {
    timeout: 120_000
  })
  await expectStatus(page, 'done')
  expect(await finalImageBytes(page)).toBe(uninterrupted)
  await page.close()
})
