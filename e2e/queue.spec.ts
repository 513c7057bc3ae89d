import { expect, test } from '@playwright/test'
import { SLOW_RUN, expectStatus, fillForm, galleryItems, openApp, snap } from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()

test('a job waits behind the running one and can be cancelled before it starts', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'a black circle on a white background', ...SLOW_RUN })
  await page.getByTestId('generate-button').click()
  await expect(galleryItems(page).first()).toBeVisible()

  await fillForm(page, { prompt: 'a queued square', steps: '3' })
  await page.getByTestId('generate-button').click()
  const waiting = page.getByTestId('queue-item')
  await expect(waiting).toHaveCount(1)
  await expect(waiting).toContainText('a queued square')
  await snap(page, 'queue')
  await waiting.getByTestId('queue-cancel').click()
  await expect(waiting).toHaveCount(0)

  await page.getByTestId('stop-button').click()
  await expectStatus(page, 'stopped')
  // The cancelled job never ran: only the stopped one reached history.
  await expect(page.getByTestId('history-item')).toHaveCount(1)
  await expect(page.getByTestId('history-item')).toContainText('a black circle')
  await page.close()
})
