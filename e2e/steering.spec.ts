import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import {
  SLOW_RUN,
  expectStatus,
  fillForm,
  finalImageBytes,
  galleryItems,
  galleryState,
  openApp,
  snap
} from './fixtures/app-page'
import { useRestartableAppSession } from './fixtures/app-session'

/**
 * Steering as a new user tries it: stop a 40-step run at step 12, restart the app, continue it
 * from History and get the uninterrupted run's image; branch from step 10 with another prompt;
 * guide only 20–80 % of the steps and see the strip run batch 1, 2, 1; change the guidance scale
 * while a run goes.
 */
const session = useRestartableAppSession()

const RUN = {
  prompt: 'a green circle on a white background',
  steps: '40',
  guidance: '5',
  seed: '31',
  scheduler: 'EulerAncestralDiscreteScheduler'
}

async function generateAndWait(page: Page, status = 'done'): Promise<void> {
  await page.getByTestId('generate-button').click()
  await expectStatus(page, status)
}

test('a run stopped at step 12 and continued from History after a restart gives the uninterrupted image', async () => {
  let server = await session.restart()
  let page = await openApp(session.browser, server)
  await fillForm(page, RUN)
  await generateAndWait(page)
  const uninterrupted = await finalImageBytes(page)

  await fillForm(page, { stopAfterStep: '12' })
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('result-summary')).toContainText('Stopped at step 12 of 40')
  await expect(page.getByTestId('continue-button')).toBeVisible()
  expect(await finalImageBytes(page)).not.toBe(uninterrupted)
  await page.close()

  server = await session.restart()
  page = await openApp(session.browser, server)
  await expect(page.getByTestId('history-item')).toHaveCount(2)
  await page.getByTestId('history-item').filter({ hasText: 'stopped 12/40' }).click()
  const detail = page.getByTestId('history-detail')
  await expect(detail).toContainText('12 of 40 (stopped)')
  await detail.getByTestId('continue-button').click()
  await expectStatus(page, 'done')
  const steps = await galleryState(page)
  expect(steps.map((s) => s.step)).toEqual([...Array(28).keys()].map((i) => i + 12))
  await expect(page.getByTestId('result-summary')).toContainText('continued from step 12')
  expect(await finalImageBytes(page)).toBe(uninterrupted)
  // History keeps the continuation under the run it continued.
  const stoppedId = await page
    .getByTestId('history-item')
    .filter({ hasText: 'stopped 12/40' })
    .first()
    .getAttribute('data-history-id')
  await expect(
    page.locator(`[data-testid="history-item"][data-parent-id="${stoppedId}"]`)
  ).toHaveCount(1)
  await snap(page, 'continued-from-history')
  await page.close()
})

test('branch from step 10 with another prompt: the form says where it branches, History nests it', async () => {
  const server = await session.restart()
  const page = await openApp(session.browser, server)
  await fillForm(page, { ...RUN, steps: '20', prompt: 'a red square on a yellow background' })
  await generateAndWait(page)
  const parent = await finalImageBytes(page)

  await galleryItems(page).nth(9).getByTestId('branch-button').click()
  const marker = page.getByTestId('branch-marker')
  await expect(marker).toContainText('step 10')
  await expect(marker).toContainText('a red square on a yellow background')
  await expect(page.getByTestId('prompt-input')).toHaveValue('a red square on a yellow background')
  await page.getByTestId('prompt-input').fill('a blue triangle on a yellow background')
  await page.getByTestId('generate-button').click()
  await expect(marker).toHaveCount(0)
  // The status still says "done" of the parent until the branch runs: wait for the branch's result.
  await expect(page.getByTestId('result-summary')).toContainText('continued from step 10')
  const steps = await galleryState(page)
  expect(steps.map((s) => s.step)).toEqual([...Array(10).keys()].map((i) => i + 10))
  expect(await finalImageBytes(page)).not.toBe(parent)
  // Nested under its parent: the parent's item holds the branch's.
  const branch = page
    .locator('[data-testid="history-item"][data-parent-id]')
    .filter({ hasText: 'a blue triangle on a yellow background' })
  await expect(branch).toHaveCount(1)
  const parentId = await branch.getAttribute('data-parent-id')
  await expect(
    page.locator(`[data-history-id="${parentId}"]`).locator('[data-testid="history-item"]')
  ).toHaveCount(1)
  await expect(branch).toContainText('from step 10')
  await snap(page, 'branched')

  // A branch keeps the run's size: asking for another is refused, and nothing is queued.
  await galleryItems(page).nth(3).getByTestId('branch-button').click()
  await page.getByTestId('width-input').fill('128')
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('error-message')).toContainText(
    "a continued run keeps its parent's width (64)"
  )
  await page.getByTestId('branch-cancel').click()
  await expect(page.getByTestId('branch-marker')).toHaveCount(0)
  await page.close()
})

test('guidance on 20–80 % of the steps: the strip shows batch 1, then 2, then 1', async () => {
  const server = await session.restart()
  const page = await openApp(session.browser, server)
  await fillForm(page, {
    prompt: 'a purple square on a black background',
    steps: '10',
    guidance: '5',
    seed: '8',
    scheduler: 'EulerDiscreteScheduler',
    intervalStart: 20,
    intervalEnd: 80
  })
  await expect(page.getByTestId('cutoff-summary')).toContainText(
    'Guidance from step 3 to step 8 of 10'
  )
  await expect(page.getByTestId('cutoff-predicted')).toContainText('saves ≈20 % of UNet work')
  await expect(page.getByTestId('interval-start-marker')).toBeVisible()
  await generateAndWait(page)
  const steps = await galleryState(page)
  expect(steps.map((s) => s.batch)).toEqual([1, 1, 2, 2, 2, 2, 2, 2, 1, 1])
  expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.batch === 2 ? 'on' : 'off')))
  await expect(page.getByTestId('cutoff-measured')).toContainText(
    'guidance ran from step 3 to step 8'
  )
  await expect(page.getByTestId('cutoff-measured')).toContainText('20 % predicted')
  await snap(page, 'interval-20-80')
  await page.close()
})

test('the guidance scale and the range move while the run goes, each until its step has passed', async () => {
  const server = await session.restart()
  const page = await openApp(session.browser, server)
  await fillForm(page, { prompt: 'a white circle on a red background', ...SLOW_RUN })
  await page.getByTestId('generate-button').click()
  await expect(galleryItems(page).first()).toBeVisible()
  const live = page.getByTestId('guidance-live-input')
  await expect(live).toBeEnabled()
  await live.fill('9')
  // The start has passed (guidance began at step 1): only the end can still move.
  await expect(page.getByTestId('cfg-interval-start')).toBeDisabled()
  const now = (await galleryState(page)).at(-1)?.step ?? 0
  const endPercent = Math.min(99, Math.ceil((now + 100) / 5))
  await page.getByTestId('cfg-interval-end').fill(String(endPercent))
  await expect(page.getByTestId('cutoff-locked')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('cfg-interval-end')).toBeDisabled()
  await page.keyboard.press('Escape')
  await expectStatus(page, 'stopped')
  const steps = await galleryState(page)
  const changed = steps.findIndex((s) => s.scale === 9)
  expect(changed).toBeGreaterThan(0)
  expect(steps.slice(0, changed).every((s) => s.scale === 7.5)).toBe(true)
  const guided = steps.filter((s) => s.cfg === 'on')
  expect(guided.slice(changed).every((s) => s.scale === 9)).toBe(true)
  const end = guided.length
  expect(end).toBeGreaterThanOrEqual(Math.trunc((500 * endPercent) / 100))
  expect(steps.slice(end).every((s) => s.batch === 1 && s.cfg === 'off')).toBe(true)
  await page.close()
})
