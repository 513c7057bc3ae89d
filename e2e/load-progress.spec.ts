import { expect, test } from '@playwright/test'
import { expectNoCspViolations, expectStatus, fillForm, openApp } from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

// A server of its own, so the first run here is the one that loads the model.
const app = useAppSession()

test('while a model loads, the progress panel names each component as it loads, in order', async () => {
  const page = await openApp(app.browser, app.server)
  await expectStatus(page, 'idle')
  await fillForm(page, { prompt: 'a red circle on a blue background', steps: '2', seed: '1' })
  await page.getByTestId('provider-select').selectOption('cpu')
  // Loading the small model takes a moment only: every text the element shows is recorded as
  // it appears, rather than polled.
  await page.evaluate(() => {
    const seen: string[] = []
    ;(window as unknown as { loadProgressSeen: string[] }).loadProgressSeen = seen
    const record = (): void => {
      const text = document.querySelector('[data-testid="load-progress"]')?.textContent ?? null
      if (text !== null && seen[seen.length - 1] !== text) seen.push(text)
    }
    new MutationObserver(record).observe(document.body, {
      childList: true,
      subtree: true,
      characterData: true
    })
  })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  const seen = await page.evaluate(
    () => (window as unknown as { loadProgressSeen: string[] }).loadProgressSeen
  )
  expect(seen.length).toBeGreaterThan(0)
  for (const text of seen) {
    expect(text).toMatch(
      /^(Loading (text encoder|UNet|VAE decoder) \([1-3] of 3, [\d.]+ [kM]B\)…|Loaded (text encoder|UNet|VAE decoder) \([1-3] of 3\) in [\d.]+ s)$/
    )
  }
  // In load order: the component's place never goes back.
  const places = seen.map((text) => Number(/\((\d) of 3/.exec(text)?.[1]))
  expect(places).toEqual([...places].sort((a, b) => a - b))
  // Gone once the model is loaded; a second run loads nothing and shows none.
  await expect(page.getByTestId('load-progress')).toHaveCount(0)
  await page.evaluate(() => {
    ;(window as unknown as { loadProgressSeen: string[] }).loadProgressSeen.length = 0
  })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  expect(
    await page.evaluate(
      () => (window as unknown as { loadProgressSeen: string[] }).loadProgressSeen
    )
  ).toEqual([])
  expectNoCspViolations(page)
  await page.close()
})
