import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import { expectNoCspViolations, openApp, selectTestModel, snap } from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()

/** Form controls that have no accessible name (label, aria-label or aria-labelledby). */
function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = Array.from(document.querySelectorAll('input, select, textarea, button'))
    return controls
      .filter((el) => {
        const labelled =
          (el as HTMLInputElement).labels?.length ||
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby') ||
          (el.tagName === 'BUTTON' && el.textContent?.trim())
        return !labelled
      })
      .map((el) => el.outerHTML.slice(0, 120))
  })
}

test('every control is labelled and the keyboard reaches the form with a visible focus ring', async () => {
  const page = await openApp(app.browser, app.server)
  expect(await unlabelledControls(page)).toEqual([])
  // Model picker, its "reset to defaults" link, then the prompt.
  for (let i = 0; i < 3; i++) await page.keyboard.press('Tab')
  const focused = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement
    return { id: el.id, outline: getComputedStyle(el).outlineStyle }
  })
  expect(focused.id).toBe('prompt')
  expect(focused.outline).not.toBe('none')
  expectNoCspViolations(page)
  await page.close()
})

test('at 200 % zoom everything stacks into one column without sideways scrolling', async () => {
  // A 1280×800 window at 200 % zoom lays out like a 640×400 CSS-pixel page at scale 2.
  const page = await app.browser.newPage({
    viewport: { width: 640, height: 400 },
    deviceScaleFactor: 2
  })
  await page.goto(app.server.url)
  await expect(page.getByTestId('app-version')).toBeVisible()
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth
  )
  expect(overflow).toBeLessThanOrEqual(0)
  for (const id of ['prompt-input', 'generate-button', 'cfg-cutoff-slider', 'gallery']) {
    await page.getByTestId(id).scrollIntoViewIfNeeded()
    await expect(page.getByTestId(id)).toBeInViewport()
  }
  await page.screenshot({ path: 'e2e/artifacts/zoom-200.png', fullPage: true })
  await page.close()
})

test('light and dark themes follow the system setting', async () => {
  const backgrounds: string[] = []
  for (const colorScheme of ['light', 'dark'] as const) {
    const page = await app.browser.newPage({ colorScheme, viewport: { width: 1280, height: 800 } })
    await page.goto(app.server.url)
    await selectTestModel(page)
    backgrounds.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor))
    await snap(page, `theme-${colorScheme}`)
    await page.close()
  }
  expect(backgrounds[0]).toBe('rgb(244, 244, 242)')
  expect(backgrounds[1]).toBe('rgb(20, 21, 24)')
})
