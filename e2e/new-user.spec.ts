import { expect, test } from '@playwright/test'
import {
  SLOW_RUN,
  expectStatus,
  fillForm,
  galleryItems,
  galleryState,
  openApp,
  snap,
  startAppServer,
  tempDataDir
} from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

/*
 * What a new user ran into (issue 13): a run lost on reload, a cutoff move lost while Generate was
 * on its way, a server that went away unnoticed.
 */
const app = useAppSession()

test('a page that reloads, and a second tab, take over the running job; Stop from either stops it', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'a blue circle on a white background', ...SLOW_RUN })
  await page.getByTestId('generate-button').click()
  await expect(galleryItems(page).first()).toBeVisible()
  // A second run waits behind it.
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('queue-item')).toHaveCount(1)

  await page.reload()
  // The running job, its steps so far, the queue and a working Stop: not "idle".
  await expectStatus(page, 'running')
  await expect(page.getByTestId('stop-button')).toBeEnabled()
  await expect(galleryItems(page).first()).toBeVisible()
  await expect(page.getByTestId('live-prompt')).toHaveText('a blue circle on a white background')
  await expect(page.getByTestId('queue-item')).toHaveCount(1)
  // It goes on live: more steps arrive after the reload.
  const afterReload = await galleryItems(page).count()
  await expect.poll(() => galleryItems(page).count()).toBeGreaterThan(afterReload)

  // The same form as the first tab, and no model picked: it takes over what runs.
  const second = await openApp(app.browser, app.server, undefined, {
    keepForm: true,
    selectModel: false
  })
  await expectStatus(second, 'running')
  await expect(galleryItems(second).first()).toBeVisible()
  await expect(second.getByTestId('queue-item')).toHaveCount(1)
  await snap(second, 'second-tab-mid-run')
  await second.getByTestId('queue-cancel').click()
  await expect(page.getByTestId('queue-item')).toHaveCount(0)
  await second.getByTestId('stop-button').click()

  for (const p of [page, second]) {
    await expectStatus(p, 'stopped')
    const [, k, total] =
      /stopped at step (\d+) of (\d+)/.exec(await p.getByTestId('status').innerText()) ?? []
    expect(Number(k)).toBeGreaterThan(0)
    expect(Number(total)).toBe(500)
    await expect(p.getByTestId('final-image')).toBeVisible()
  }
  await second.close()
  await page.close()
})

test('a cutoff moved right after Generate, before the job is confirmed, is applied', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, {
    prompt: 'a green square on a black background',
    ...SLOW_RUN,
    cutoffPercent: 100
  })
  // Generate, then the slider in the same task: main cannot have answered yet.
  await page.evaluate(() => {
    const generate = document.querySelector<HTMLButtonElement>('[data-testid="generate-button"]')
    const slider = document.querySelector<HTMLInputElement>('[data-testid="cfg-cutoff-slider"]')
    if (generate === null || slider === null) throw new Error('the form is not there')
    generate.click()
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set
    setValue?.call(slider, '2')
    slider.dispatchEvent(new Event('input', { bubbles: true }))
  })
  // 2 % of 500 steps: guidance ends after step index 10 (or the step after the change landed).
  await expect(page.getByTestId('cutoff-locked')).toBeVisible({ timeout: 60_000 })
  const summary = await page.getByTestId('cutoff-summary').innerText()
  const cutoffStep = Number(/Guidance ends after step (\d+) of 500/.exec(summary)?.[1]) - 1
  expect(cutoffStep).toBeGreaterThanOrEqual(10)
  expect(cutoffStep).toBeLessThan(499)
  await expect(galleryItems(page).nth(cutoffStep + 1)).toBeVisible({ timeout: 60_000 })
  await page.keyboard.press('Escape')
  await expectStatus(page, 'stopped')
  const steps = await galleryState(page)
  expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.step <= cutoffStep ? 'on' : 'off')))
  await page.close()
})

test('the page says at once that the server has gone, and that a restarted one has a new URL', async () => {
  const data = tempDataDir()
  let server = await startAppServer(data.dir)
  try {
    const page = await openApp(app.browser, server)
    await expect(page.getByTestId('connection-lost')).toHaveCount(0)
    const port = Number(new URL(server.url).port)
    await server.stop()
    // Noticed without pressing anything.
    await expect(page.getByTestId('connection-lost')).toContainText('cannot be reached', {
      timeout: 10_000
    })
    await expect(page.getByTestId('connection-lost')).toContainText('prints a new URL')
    await snap(page, 'server-gone')
    // Restarted on the same port: a new token, so this page's address no longer opens it.
    server = await startAppServer(data.dir, { port })
    await expect(page.getByTestId('connection-lost')).toContainText('was restarted', {
      timeout: 20_000
    })
    await expect(page.getByTestId('connection-lost')).toContainText('new URL')
    // The new URL works.
    await page.goto(server.url)
    await expect(page.getByTestId('app-version')).toBeVisible()
    await expect(page.getByTestId('connection-lost')).toHaveCount(0)
    await page.close()
  } finally {
    await server.stop()
    data.remove()
  }
})

test('during the first run the status bar shows the inference process, and no request fails (favicon)', async () => {
  const data = tempDataDir()
  const server = await startAppServer(data.dir)
  try {
    const failed: string[] = []
    const page = await openApp(app.browser, server, undefined, {
      beforeLoad: (opened) =>
        opened.on('response', (response) => {
          if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`)
        })
    })
    await expect(page.getByTestId('memory-status')).toContainText('not started')
    await fillForm(page, { prompt: 'a yellow square on a red background', ...SLOW_RUN })
    await page.getByTestId('generate-button').click()
    await expect(galleryItems(page).first()).toBeVisible()
    await expect(page.getByTestId('memory-status')).not.toContainText('not started')
    await page.getByTestId('stop-button').click()
    await expectStatus(page, 'stopped')
    expect(failed).toEqual([])
    await page.close()
  } finally {
    await server.stop()
    data.remove()
  }
})
