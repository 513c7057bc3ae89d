import type { ChildProcess } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import type { Browser, Page } from '@playwright/test'
import { readShapeColours } from '../testing/shape-colours'
import type { RgbaPixels } from '../testing/shape-colours'
import { startServer } from './fixtures/browser-server'
import { startTestHub } from './fixtures/test-hub-process'
import type { ServerProcess } from './fixtures/browser-server'
import {
  expectNoCspViolations,
  expectStatus,
  fillForm,
  galleryItems,
  snap,
  tempDataDir
} from './fixtures/app-page'
import { launchChromium } from './fixtures/chromium'

// Preview methods in browser mode: a "real model" folder (the tiny random SD fixture with the
// random-weight TAESD stand-in copied to preview_decoder/), a TAESD download from the test hub
// (standing in for huggingface.co's deinferno/taesd-onnx) attached to an SD 1.x model, and the
// shipped model's own tiny decoder previewing a green square on white.
const ROOT = join(__dirname, '..')
const FIXTURES = join(ROOT, 'fixtures', 'models')
const TAESD = join(FIXTURES, 'taesd-random')
const SHIPPED = join(ROOT, 'resources', 'models', 'stepwise-shapes-64')

let data: ReturnType<typeof tempDataDir>
let models: string
let hub: ChildProcess
let server: ServerProcess
let browser: Browser

test.beforeAll(async () => {
  data = tempDataDir()
  models = mkdtempSync(join(tmpdir(), 'stepwise-e2e-previews-'))
  symlinkSync(join(FIXTURES, 'tiny-sd-random'), join(models, 'tiny-sd-random'), 'dir')
  symlinkSync(SHIPPED, join(models, 'stepwise-shapes-64'), 'dir')
  // A real model's folder with a TAESD decoder placed in it by hand.
  const real = join(models, 'real-sd-taesd')
  cpSync(join(FIXTURES, 'tiny-sd-random'), real, { recursive: true, dereference: true })
  mkdirSync(join(real, 'preview_decoder'))
  cpSync(join(TAESD, 'vae_decoder', 'model.onnx'), join(real, 'preview_decoder', 'model.onnx'))
  const started = await startTestHub({ 'deinferno/taesd-onnx': TAESD })
  hub = started.process
  server = await startServer(['--data-dir', data.dir, '--models-dir', models], {
    env: { HF_ENDPOINT: started.endpoint }
  })
  browser = await launchChromium()
})

test.afterAll(async () => {
  await browser?.close()
  await server?.stop()
  hub?.kill('SIGTERM')
  data?.remove()
  rmSync(models, { recursive: true, force: true })
})

async function open(modelId: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  await page.goto(server.url)
  const select = page.getByTestId('model-select')
  await expect(select.locator(`option[value="${modelId}"]`)).toHaveCount(1, { timeout: 30_000 })
  await select.selectOption(modelId)
  return page
}

/** The pixels of step `index`'s gallery tile, as its canvas holds them. */
async function tilePixels(page: Page, index: number): Promise<RgbaPixels | null> {
  const canvas = galleryItems(page)
    .and(page.locator(`[data-step="${index}"]`))
    .locator('canvas')
  if ((await canvas.count()) === 0) return null
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const image = c.getContext('2d')?.getImageData(0, 0, c.width, c.height)
    return { width: c.width, height: c.height, data: Array.from(image?.data ?? []) }
  })
}

async function tileMethods(page: Page): Promise<string[]> {
  return galleryItems(page).evaluateAll((items) =>
    items.map((item) => item.getAttribute('data-preview-method') ?? '')
  )
}

test('a real model folder with a TAESD decoder in preview_decoder/ previews with tiny at full size', async () => {
  const page = await open('real-sd-taesd')
  await expect(page.getByTestId('library-previews-real-sd-taesd')).toContainText(
    'Previews: linear, tiny, vae (default tiny) · tiny decoder preview_decoder/model.onnx'
  )
  await expect(page.getByTestId('preview-method-select')).toHaveValue('tiny')
  await fillForm(page, { prompt: 'a photo of a cat', steps: '3', seed: '1' })
  await page.getByTestId('provider-select').selectOption('cpu')
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  // PNDM with skip_prk_steps: N + 1 timesteps, each previewed by the tiny decoder.
  expect(await tileMethods(page)).toEqual(['tiny', 'tiny', 'tiny', 'tiny'])
  const first = await tilePixels(page, 0)
  expect([first?.width, first?.height]).toEqual([64, 64])
  // The tile's own button (each tile also has a Branch button).
  await galleryItems(page)
    .first()
    .getByRole('button', { name: /^Step 1 of/ })
    .click()
  await expect(page.getByTestId('step-preview-method')).toHaveText(/^tiny · \d+(\.\d)? ms$/)
  await expect(page.getByTestId('step-preview-method')).toHaveAttribute('data-method', 'tiny')

  // vae:10 for the next run: the VAE at steps 0, 10 and the last, linear (8×8) in between.
  await page.getByTestId('back-to-live').click()
  await page.getByTestId('preview-method-select').selectOption('vae:10')
  await fillForm(page, { steps: '12' })
  await page.getByTestId('generate-button').click()
  await expect(galleryItems(page)).toHaveCount(13, { timeout: 60_000 })
  await expectStatus(page, 'done')
  const methods = await tileMethods(page)
  expect(methods).toEqual(
    Array.from({ length: 13 }, (_, i) => (i % 10 === 0 || i === 12 ? 'vae' : 'linear'))
  )
  expect((await tilePixels(page, 1))?.width).toBe(8)
  expect((await tilePixels(page, 10))?.width).toBe(64)
  await snap(page, 'previews-real-model')
  expectNoCspViolations(page)
})

test('downloading TAESD in the Models panel gives an SD 1.x model tiny previews', async () => {
  const page = await open('tiny-sd-random')
  const line = page.getByTestId('library-previews-tiny-sd-random')
  await expect(line).toContainText('Previews: linear, vae (default linear)')
  await expect(page.getByTestId('preview-method-select')).toHaveValue('linear')
  await expect(
    page.getByTestId('preview-method-select').locator('option[value="tiny"]')
  ).toBeDisabled()
  await page.getByTestId('get-preview-decoder-tiny-sd-random').click()
  const item = page.locator('[data-testid^="download-dl-"]').first()
  await expect(item).toHaveAttribute('data-state', 'done', { timeout: 60_000 })
  await expect(item).toContainText('tiny previews for tiny-sd-random')
  await expect(line).toContainText(
    'Previews: linear, tiny, vae (default tiny) · tiny decoder TAESD tiny preview decoder (SD 1.x / 2.x) (deinferno/taesd-onnx), downloaded'
  )
  await expect(page.getByTestId('get-preview-decoder-tiny-sd-random')).toHaveCount(0)
  // The model keeps being picked; its default is tiny now.
  await page.getByTestId('model-select').selectOption('tiny-sd-random')
  await expect(page.getByTestId('preview-method-select')).toHaveValue('tiny')
  await fillForm(page, { prompt: 'a red circle', steps: '2', seed: '3' })
  await page.getByTestId('provider-select').selectOption('cpu')
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done')
  expect(await tileMethods(page)).toEqual(['tiny', 'tiny', 'tiny'])
  expect((await tilePixels(page, 2))?.width).toBe(64)
  await snap(page, 'previews-taesd-download')
})

test('the shipped model previews a green square on white green on white from the middle steps on (tiny)', async () => {
  const page = await open('stepwise-shapes-64')
  await expect(page.getByTestId('preview-method-select')).toHaveValue('tiny')
  await fillForm(page, { prompt: 'a green square on a white background', seed: '0' })
  await page.getByTestId('generate-button').click()
  await expectStatus(page, 'done', 120_000)
  const methods = await tileMethods(page)
  expect(methods).toHaveLength(25)
  expect(new Set(methods)).toEqual(new Set(['tiny']))
  const read: Array<{ step: number; fg: string | null; bg: string }> = []
  for (let step = 12; step < 25; step++) {
    const pixels = await tilePixels(page, step)
    // Previews are latest-wins: a tile whose pixels were superseded on the way has none.
    if (pixels === null) continue
    expect([pixels.width, pixels.height]).toEqual([64, 64])
    read.push({ step, ...readShapeColours(pixels) })
  }
  expect(read.length).toBeGreaterThanOrEqual(8)
  expect(read).toEqual(read.map(({ step }) => ({ step, fg: 'green', bg: 'white' })))
  await snap(page, 'previews-shipped-green-on-white')
})
