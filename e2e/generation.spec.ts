import { expect, test } from '@playwright/test'
import {
  FIXED_CPU_RUN,
  expectNoCspViolations,
  expectStatus,
  fillForm,
  galleryItems,
  galleryState,
  openApp,
  snap
} from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()

test('a run fills the gallery with one item per step and ends with the decoded image', async () => {
  const page = await openApp(app.browser, app.server)
  await expectStatus(page, 'idle')
  await fillForm(page, { ...FIXED_CPU_RUN, steps: '12' })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')

  const steps = await galleryState(page)
  expect(steps.map((s) => s.step)).toEqual([...Array(12).keys()])
  expect(steps.every((s) => s.cfg === 'on')).toBe(true)
  await expect(page.getByTestId('progress')).toContainText('Step 12 of 12')
  const image = page.getByTestId('final-image')
  await expect(image).toBeVisible()
  const width = Number(await page.getByTestId('width-input').inputValue())
  await expect
    .poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth))
    .toBe(width)
  await expect(page.getByTestId('result-summary')).toContainText('seed 42')
  await expect(page.getByTestId('result-summary')).toContainText('on cpu')
  await snap(page, 'run-done')

  // Any step can be opened large with its details, and Esc goes back to the result.
  await galleryItems(page).nth(3).click()
  await expect(page.getByTestId('step-details')).toContainText('4 of 12')
  await expect(page.getByTestId('step-details')).toContainText(/CFG\s*on/)
  await expect(page.getByTestId('final-image')).toHaveCount(0)
  await snap(page, 'inspect-step')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('final-image')).toBeVisible()
  expectNoCspViolations(page)
  await page.close()
})

test('Ctrl+Enter generates from the prompt field and the last seed is reused in one click', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'a green triangle on a white background', steps: '4', seed: '' })
  await page.getByTestId('prompt-input').press('Control+Enter')
  await expectStatus(page, 'done')
  await expect(galleryItems(page).first()).toBeVisible()
  const summary = await page.getByTestId('result-summary').innerText()
  const seed = /seed (\d+)/.exec(summary)?.[1]
  expect(seed).toBeDefined()
  await expect(page.getByTestId('seed-input')).toHaveValue('')
  await page.getByTestId('seed-reuse').click()
  await expect(page.getByTestId('seed-input')).toHaveValue(seed ?? '')
  await page.close()
})

test('an invalid value shows the specific message, nothing starts, and the app keeps working', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'a red square', steps: '0', width: '65' })
  await page.getByTestId('generate-button').click()
  const error = page.getByTestId('error-message')
  // In the labels the user typed into, not the parameters' internal names.
  await expect(error).toContainText('Steps: must be an integer from 1 to 500 (got 0)')
  await expect(error).toContainText('Width: must be a multiple of 8 from 8 to 2048 (got 65)')
  await expect(error).not.toContainText('numInferenceSteps')
  await expect(page.getByTestId('steps-input')).toHaveAttribute('aria-invalid', 'true')
  await expectStatus(page, 'idle')
  await expect(galleryItems(page)).toHaveCount(0)
  await snap(page, 'invalid-value')

  await fillForm(page, { steps: '3', width: '64' })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await expect(error).toHaveCount(0)
  await expect(galleryItems(page)).not.toHaveCount(0)
  await page.close()
})

test('a cutoff step past the run is refused in the field’s own 1-based terms, as typed', async () => {
  const page = await openApp(app.browser, app.server)
  await fillForm(page, { prompt: 'a red square', steps: '10' })
  await page.getByTestId('cutoff-mode-step').check()
  await page.getByTestId('cutoff-step-input').fill('15')
  // T comes from main's plan of the run (10 steps here); the field says so before Generate.
  await expect(page.getByTestId('cutoff-step-error')).toContainText(
    'must be a whole step number from 1 to 10 (got 15)'
  )
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('error-message')).toContainText(
    'CFG cutoff step: must be a whole step number from 1 to 10 (got 15)'
  )
  await expectStatus(page, 'idle')
  await expect(galleryItems(page)).toHaveCount(0)

  // Corrected, the same form runs, and guidance ends exactly after step 5 (index 4).
  await page.getByTestId('cutoff-step-input').fill('5')
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  const steps = await galleryState(page)
  expect(steps.map((s) => s.cfg)).toEqual(steps.map((s) => (s.step <= 4 ? 'on' : 'off')))
  await page.close()
})

test('the size fields say the model’s size multiple and refuse 72 px next to the field, sending nothing (issue 13)', async () => {
  const page = await openApp(app.browser, app.server)
  await expectStatus(page, 'idle')
  // The shipped model's UNet halves its 8× latents once: sizes are multiples of 16.
  await expect(page.locator('#width-hint')).toHaveText('multiple of 16')
  await expect(page.locator('#height-hint')).toHaveText('multiple of 16')
  await fillForm(page, { prompt: 'a red circle', width: '72', steps: '2' })
  await page.getByTestId('generate-button').click()
  await expect(page.locator('#width-error')).toHaveText(
    'must be a multiple of 16 for this model, whose UNet halves the latent image evenly only at such sizes (got 72; try 64 or 80)'
  )
  await expect(page.getByTestId('width-input')).toHaveAttribute('aria-invalid', 'true')
  await expectStatus(page, 'idle')
  // Arrow keys step by the multiple: 72 → 80, which runs.
  await page.getByTestId('width-input').press('ArrowUp')
  await expect(page.getByTestId('width-input')).toHaveValue('80')
  await expect(page.locator('#width-error')).toHaveCount(0)
  await page.getByTestId('provider-select').selectOption('cpu')
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await page.close()
})

test('pasted A1111 parameters are read into the form in one click', async () => {
  const page = await openApp(app.browser, app.server)
  await expect(page.getByTestId('read-parameters')).toBeDisabled()
  await page
    .getByTestId('prompt-input')
    .fill(
      'a cat in a hat\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 77, Size: 64x128'
    )
  await page.getByTestId('read-parameters').click()
  await expect(page.getByTestId('prompt-input')).toHaveValue('a cat in a hat')
  await expect(page.getByTestId('negative-prompt-input')).toHaveValue('blurry')
  await expect(page.getByTestId('steps-input')).toHaveValue('30')
  await expect(page.getByTestId('guidance-input')).toHaveValue('6.5')
  await expect(page.getByTestId('seed-input')).toHaveValue('77')
  await expect(page.getByTestId('width-input')).toHaveValue('64')
  await expect(page.getByTestId('height-input')).toHaveValue('128')
  await expect(page.getByTestId('scheduler-select')).toHaveValue('DPMSolverMultistepScheduler')
  await expect(page.getByTestId('karras-checkbox')).toBeChecked()
  await page.close()
})

test('the picker offers every scheduler by its A1111 name; Heun runs 2·N − 1 steps, DPM++ 2M SDE Karras is reported', async () => {
  const page = await openApp(app.browser, app.server)
  await expectStatus(page, 'idle')
  const select = page.getByTestId('scheduler-select')
  for (const label of [
    'UniPC',
    'Heun',
    'DPM2',
    'DPM2 a',
    'DPM++ SDE (singlestep)',
    'DEIS',
    'TCD',
    'DPM++ 2M SDE'
  ]) {
    await expect(
      select.locator('option', {
        hasText: new RegExp(`^${label.replace(/[+()]/g, '\\$&')}( · default)?$`)
      })
    ).toHaveCount(1)
  }
  await fillForm(page, {
    prompt: 'a blue square',
    steps: '3',
    seed: '7',
    scheduler: 'HeunDiscreteScheduler',
    provider: 'cpu'
  })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  // Heun evaluates the model twice per step after the first: 3 steps are 5 loop iterations.
  expect((await galleryState(page)).map((s) => s.step)).toEqual([0, 1, 2, 3, 4])
  await expect(page.getByTestId('result-summary')).toContainText('Heun')

  await select.selectOption({ label: 'DPM++ 2M SDE' })
  await page.getByTestId('karras-checkbox').check()
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await expect(page.getByTestId('result-summary')).toContainText('DPM++ 2M SDE Karras')
  expectNoCspViolations(page)
  await page.close()
})
