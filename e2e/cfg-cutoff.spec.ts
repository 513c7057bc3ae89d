import { expect, test } from '@playwright/test'
import {
  SLOW_RUN,
  expectStatus,
  fillForm,
  galleryItems,
  galleryState,
  openApp,
  snap
} from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()

test('a 40 % cutoff turns CFG off from the step after index int(0.4·T)', async () => {
  // Wide enough for the gallery to show all ten steps in the screenshot.
  const page = await openApp(app.browser, app.server, { width: 1600, height: 900 })
  // The model's own scheduler: for PNDM the loop has T = N + 1 timesteps, so T comes from the run.
  // A prompt of the shipped model and a fixed seed: this run's screenshot is docs/screenshot.png.
  await fillForm(page, {
    prompt: 'a yellow triangle on a purple background',
    steps: '10',
    guidance: '5',
    seed: '7',
    cutoffPercent: 40
  })
  await expect(page.getByTestId('cutoff-predicted')).toContainText('(predicted)')
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')

  const steps = await galleryState(page)
  const total = steps.length
  expect(total).toBeGreaterThanOrEqual(10)
  const cutoffStep = Math.trunc(total * 0.4)
  expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.step <= cutoffStep ? 'on' : 'off')))
  await expect(page.getByTestId('cutoff-measured')).toContainText(
    `guidance ended after step ${cutoffStep + 1}`
  )
  await expect(page.getByTestId('cutoff-measured')).toContainText('(measured)')
  // Counted from the UNet batch each step reports: steps after the cutoff ran half the batch.
  const rows = Math.round(((total - cutoffStep - 1) / (2 * total)) * 1000) / 10
  await expect(page.getByTestId('cutoff-measured')).toContainText(
    `${Number.isInteger(rows) ? rows : rows.toFixed(1)} % of UNet batch rows`
  )
  await snap(page, 'cutoff-40')
  await page.close()
})

test('before a run, the cutoff is placed on T as main plans it, which is what then runs', async () => {
  const page = await openApp(app.browser, app.server)
  // PNDM iterates more timesteps than steps (N + 1 with skip_prk_steps, more with its Runge-Kutta
  // warm-up): only the model's scheduler config says how many, and main reads it.
  await fillForm(page, {
    prompt: 'a red square on a white background',
    steps: '10',
    scheduler: 'PNDMScheduler',
    cutoffPercent: 50
  })
  // Until main's plan is in, the control counts the 10 steps; then it shows T.
  const summary = page.getByTestId('cutoff-summary')
  const shown = async (): Promise<[number, number]> => {
    const [, after, of] = /after step (\d+) of (\d+)/.exec(await summary.innerText()) ?? []
    return [Number(after), Number(of)]
  }
  await expect.poll(async () => (await shown())[1]).toBeGreaterThan(10)
  const [after, total] = await shown()
  expect(after).toBe(Math.trunc(total * 0.5) + 1)

  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  const steps = await galleryState(page)
  expect(steps).toHaveLength(total)
  const cutoffStep = after - 1
  expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.step <= cutoffStep ? 'on' : 'off')))
  await page.close()
})

test('the slider steers the running job until guidance ends, then locks', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, {
    prompt: 'a white triangle on a green background',
    ...SLOW_RUN,
    cutoffPercent: 100
  })
  const slider = page.getByTestId('cfg-cutoff-slider')
  await page.getByTestId('generate-button').click()
  await expect(galleryItems(page).first()).toBeVisible()

  // Guidance runs to the end until the slider moves its end to a step ahead of where the run is
  // now: p % of T = 500 steps is index int(500 · p / 100) = 5p.
  const states = await galleryState(page)
  const now = states[states.length - 1]?.step ?? 0
  const percent = Math.min(99, Math.ceil((now + 100) / 5))
  const requested = 5 * percent
  await slider.fill(String(percent))
  // Guidance ends at the requested step or, had the run passed it before the change landed, at
  // the step after the change (the engine's rule): never before it was asked to. Then it locks.
  await expect(page.getByTestId('cutoff-locked')).toBeVisible({ timeout: 60_000 })
  await expect(slider).toBeDisabled()
  const summary = await page.getByTestId('cutoff-summary').innerText()
  const [, after] = /Guidance ends after step (\d+) of 500/.exec(summary) ?? []
  const cutoffStep = Number(after) - 1
  expect(cutoffStep).toBeGreaterThanOrEqual(requested)
  await expect(galleryItems(page).nth(cutoffStep + 1)).toBeVisible({ timeout: 60_000 })
  await snap(page, 'cutoff-locked')

  await page.keyboard.press('Escape')
  await expectStatus(page, 'stopped')
  const steps = await galleryState(page)
  expect(steps.length).toBeGreaterThan(cutoffStep + 1)
  expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.step <= cutoffStep ? 'on' : 'off')))
  // The next run may set a cutoff again: the lock belonged to the finished run.
  await expect(slider).toBeEnabled()
  await page.close()
})
