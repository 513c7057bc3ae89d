import type { ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import type { Browser, Page } from '@playwright/test'
import { startServer } from './fixtures/browser-server'
import { startTestHub } from './fixtures/test-hub-process'
import type { ServerProcess } from './fixtures/browser-server'
import {
  expectNoCspViolations,
  expectStatus,
  fillForm,
  snap,
  tempDataDir
} from './fixtures/app-page'
import { launchChromium } from './fixtures/chromium'

// The model library, downloads and the provider fallback notice, in browser mode: a server whose
// only built-in model is tiny-sd-random, a data folder of its own, and the test hub standing in
// for huggingface.co (HF_ENDPOINT) with one small repository.
const ROOT = join(__dirname, '..')
const FIXTURES = join(ROOT, 'fixtures', 'models')

let data: ReturnType<typeof tempDataDir>
let models: string
let scratch: string
let hub: ChildProcess
let server: ServerProcess
let browser: Browser

test.beforeAll(async () => {
  data = tempDataDir()
  models = mkdtempSync(join(tmpdir(), 'stepwise-e2e-models-'))
  symlinkSync(join(FIXTURES, 'tiny-sd-random'), join(models, 'tiny-sd-random'), 'dir')
  scratch = mkdtempSync(join(tmpdir(), 'stepwise-e2e-folders-'))
  const started = await startTestHub({ 'stepwise/tiny-fp16': join(FIXTURES, 'tiny-sd-fp16') })
  hub = started.process
  process.env['HF_ENDPOINT'] = started.endpoint
  server = await startServer(['--data-dir', data.dir, '--models-dir', models])
  browser = await launchChromium()
})

test.afterAll(async () => {
  await browser?.close()
  await server?.stop()
  hub?.kill('SIGTERM')
  data?.remove()
  rmSync(models, { recursive: true, force: true })
  rmSync(scratch, { recursive: true, force: true })
})

async function open(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  await page.goto(server.url)
  await expect(page.getByTestId('library-item-tiny-sd-random')).toBeVisible({ timeout: 30_000 })
  return page
}

async function addPath(page: Page, path: string): Promise<void> {
  await page.getByTestId('model-path-input').fill(path)
  await page.getByTestId('add-model-path-button').click()
}

test('adding a model folder by path: specific refusals, then the model is added, picked, runs, is remembered and removed', async () => {
  const page = await open()
  await expect(page.getByTestId('library-meta-tiny-sd-random')).toContainText('SD 1.x · fp32')
  await expect(page.getByTestId('remove-model-tiny-sd-random')).toHaveCount(0) // built in

  await addPath(page, 'fixtures/models/tiny-sd-legacy')
  await expect(page.getByTestId('library-error')).toContainText(
    'must be an absolute folder path (or start with ~)'
  )
  const broken = join(scratch, 'half-copied')
  cpSync(join(FIXTURES, 'tiny-sd-random'), broken, { recursive: true })
  rmSync(join(broken, 'vae_decoder', 'model.onnx'))
  await addPath(page, broken)
  await expect(page.getByTestId('library-error')).toContainText('vae_decoder/model.onnx is missing')

  await addPath(page, join(FIXTURES, 'tiny-sd-legacy'))
  const item = page.getByTestId('library-item-tiny-sd-legacy')
  await expect(item).toBeVisible()
  await expect(page.getByTestId('library-meta-tiny-sd-legacy')).toContainText('SD 1.x · fp32')
  await expect(page.getByTestId('library-meta-tiny-sd-legacy')).toContainText('added')
  await expect(page.getByTestId('library-error')).toHaveCount(0)
  // The new model is picked, with its defaults (no unet/config.json: SD's 512, so set 64).
  await expect(page.getByTestId('model-select')).toHaveValue('tiny-sd-legacy')
  await fillForm(page, { prompt: 'a red circle', steps: '2', width: '64', height: '64', seed: '5' })
  await page.getByTestId('provider-select').selectOption('cpu')
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await expect(page.getByTestId('memory-status')).toContainText('MB in use', { timeout: 20_000 })
  await snap(page, 'library-added')

  // Remembered: a new page (and the server's library file) still has it.
  const again = await open()
  await expect(again.getByTestId('library-item-tiny-sd-legacy')).toBeVisible()
  await again.getByTestId('remove-model-tiny-sd-legacy').click()
  await again.getByTestId('remove-model-confirm-tiny-sd-legacy').click()
  await expect(again.getByTestId('library-item-tiny-sd-legacy')).toHaveCount(0)
  await expect(
    again.getByTestId('model-select').locator('option[value="tiny-sd-legacy"]')
  ).toHaveCount(0)
  // Its sessions were freed: no page's status bar keeps it as loaded.
  for (const p of [page, again]) {
    await expect(p.getByTestId('memory-status')).toContainText('no model loaded')
  }
  expectNoCspViolations(page)
})

test('a provider this install does not offer runs on cpu and the job says why', async () => {
  const page = await open()
  const unavailable = page.locator('[data-testid^="ep-"][data-available="false"]').first()
  const name = ((await unavailable.getAttribute('data-testid')) ?? '').replace(/^ep-/, '')
  expect(name).not.toBe('')
  await page.getByTestId('model-select').selectOption('tiny-sd-random')
  await fillForm(page, { prompt: 'a blue square', steps: '2', seed: '9' })
  await page.getByTestId('provider-select').selectOption(name)
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  await expect(page.getByTestId('warnings')).toContainText(`run on cpu: ${name} (not available:`)
  await expect(page.getByTestId('result-summary')).toContainText('on cpu')
  await snap(page, 'provider-fallback')
})

test('a download from the hub shows progress, joins the library; a bad repository id is refused', async () => {
  const page = await open()
  await page.getByTestId('download-repo-input').fill('not a repo')
  await page.getByTestId('download-start-button').click()
  await expect(page.getByTestId('download-error')).toContainText(
    'must be a Hugging Face repository id'
  )

  await expect(page.getByTestId('known-model-select').locator('option')).not.toHaveCount(1)
  await page.getByTestId('download-repo-input').fill('stepwise/tiny-fp16')
  await page.getByTestId('download-start-button').click()
  const item = page.locator('[data-testid^="download-dl-"]').first()
  await expect(item).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(item).toContainText('in the library as stepwise--tiny-fp16')
  await expect(page.getByTestId('library-meta-stepwise--tiny-fp16')).toContainText('SD 1.x · fp16')
  await expect(page.getByTestId('library-meta-stepwise--tiny-fp16')).toContainText('downloaded')
  await snap(page, 'download-done')
})

test('a failed download can be retried and dismissed; a pasted Hub page URL names the repository', async () => {
  const page = await open()
  await page
    .getByTestId('download-repo-input')
    .fill('https://huggingface.co/stepwise/missing/tree/main')
  await page.getByTestId('download-start-button').click()
  const failed = page.locator('[data-testid^="download-dl-"][data-state="failed"]')
  await expect(failed).toHaveCount(1, { timeout: 60_000 })
  await expect(failed).toContainText('stepwise/missing')
  const firstId = await failed.getAttribute('data-testid')
  await failed.getByRole('button', { name: 'Retry' }).click()
  // The retry replaces the entry and fails the same way.
  await expect(page.locator(`[data-testid="${firstId}"]`)).toHaveCount(0)
  await expect(failed).toHaveCount(1, { timeout: 60_000 })
  await failed.getByRole('button', { name: /Dismiss/ }).click()
  await expect(failed).toHaveCount(0)
})
