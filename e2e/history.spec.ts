import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { expectStatus, fillForm, openApp, snap } from './fixtures/app-page'
import { useRestartableAppSession } from './fixtures/app-session'

const session = useRestartableAppSession()

async function historyItems(page: Page): Promise<number> {
  return page.getByTestId('history-item').count()
}

test('history survives a restart, restores parameters in one click and deletes after confirmation', async () => {
  const prompt = 'a red triangle on a yellow background'
  let server = await session.restart()
  let page = await openApp(session.browser, server)
  await fillForm(page, { prompt, steps: '6', seed: '1234', guidance: '5', keepPreviews: true })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await expect(page.getByTestId('history-item')).toHaveCount(1)
  await page.close()

  server = await session.restart()
  page = await openApp(session.browser, server)
  await expect(page.getByTestId('history-item')).toHaveCount(1)
  await expect(page.getByTestId('history-item')).toContainText(prompt)
  await page.getByTestId('history-item').click()
  const detail = page.getByTestId('history-detail')
  await expect(detail).toContainText('1234')
  await expect(detail.getByRole('img', { name: /Stored result/ })).toBeVisible()
  // Every step's preview was kept: they can be opened from the detail.
  const kept = detail.getByTestId('kept-preview')
  expect(await kept.count()).toBeGreaterThanOrEqual(6)
  await kept.nth(2).click()
  await expect(detail.getByTestId('kept-preview-large')).toBeVisible()
  await snap(page, 'history-detail')

  await page.getByTestId('history-restore').click()
  await expect(page.getByTestId('prompt-input')).toHaveValue(prompt)
  await expect(page.getByTestId('seed-input')).toHaveValue('1234')
  await expect(page.getByTestId('steps-input')).toHaveValue('6')
  await expect(page.getByTestId('guidance-input')).toHaveValue('5')

  // Delete asks first; cancelling keeps the entry.
  await page.getByTestId('history-delete').click()
  await page.getByRole('button', { name: 'Cancel' }).click()
  expect(await historyItems(page)).toBe(1)
  await page.getByTestId('history-delete').click()
  await page.getByTestId('history-delete-confirm').click()
  await expect(page.getByTestId('history-item')).toHaveCount(0)
  await page.close()

  server = await session.restart()
  page = await openApp(session.browser, server)
  await expect(page.getByTestId('history')).toContainText('History 0')
  expect(await historyItems(page)).toBe(0)
  await page.close()
})
