import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import type { Page } from '@playwright/test'
import {
  expectNoCspViolations,
  expectStatus,
  fillForm,
  galleryState,
  MODEL_ID,
  openApp,
  snap
} from './fixtures/app-page'
import { useAppSession } from './fixtures/app-session'

const app = useAppSession()
const SQUARE = [
  ...readFileSync(join(__dirname, '../main/engine/pipelines/fixtures/blue-square-64.png'))
]
const shipped = MODEL_ID === 'stepwise-shapes-64'

/** Drops PNG bytes on the window as a file, as a user dragging a picture from the desktop. */
async function dropPicture(page: Page, bytes: number[], name = 'blue-square.png'): Promise<void> {
  await page.evaluate(
    ([data, fileName]) => {
      const file = new File([new Uint8Array(data as number[])], fileName as string, {
        type: 'image/png'
      })
      const transfer = new DataTransfer()
      transfer.items.add(file)
      for (const type of ['dragover', 'drop']) {
        document.body.dispatchEvent(
          new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true })
        )
      }
    },
    [bytes, name] as const
  )
}

/** RGB of the final image at picture coordinates. */
async function finalPixels(page: Page): Promise<{ width: number; data: number[] }> {
  const image = page.getByTestId('final-image')
  await expect(image).toBeVisible()
  return image.evaluate(async (img) => {
    const el = img as HTMLImageElement
    await el.decode()
    const canvas = document.createElement('canvas')
    canvas.width = el.naturalWidth
    canvas.height = el.naturalHeight
    const context = canvas.getContext('2d') as CanvasRenderingContext2D
    context.drawImage(el, 0, 0)
    return {
      width: canvas.width,
      data: [...context.getImageData(0, 0, canvas.width, canvas.height).data]
    }
  })
}

function rgbAt(p: { width: number; data: number[] }, x: number, y: number): number[] {
  const i = (y * p.width + x) * 4
  return p.data.slice(i, i + 3)
}

/** Paints the left half of the mask canvas with a few brush strokes. */
async function paintLeftHalf(page: Page): Promise<void> {
  const box = await page.getByTestId('mask-canvas').boundingBox()
  if (box === null) throw new Error('the mask canvas is not shown')
  for (let row = 0; row < 6; row++) {
    const y = box.y + ((row + 0.5) * box.height) / 6
    await page.mouse.move(box.x + 2, y)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width / 2 - 2, y, { steps: 6 })
    await page.mouse.up()
  }
}

test('a dropped blue square is recoloured at strength 0.6, then half of it is inpainted with a yellow circle', async () => {
  const page = await openApp(app.browser, app.server)
  await dropPicture(page, SQUARE)
  await expect(page.getByTestId('init-image')).toBeVisible()
  await fillForm(page, { prompt: 'a red square on a white background', steps: '10', seed: '1' })
  await page.getByTestId('strength-input').fill('0.6')
  await page.getByTestId('provider-select').selectOption('cpu')
  await page.getByTestId('generate-button').click()
  await expect(page.getByTestId('history-item')).toHaveCount(1, { timeout: 60_000 })
  await expectStatus(page, 'done')

  // int(10 · 0.6) = 6 steps ran, numbered from 0; the gallery says where they start.
  expect((await galleryState(page)).map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5])
  await expect(page.getByTestId('gallery-start-step')).toContainText('step 5 of the full schedule')
  await expect(page.getByTestId('result-summary')).toContainText('strength 0.6')
  if (shipped) {
    const red = rgbAt(await finalPixels(page), 32, 32)
    expect(red[0]).toBeGreaterThan(150)
    expect(red[2]).toBeLessThan(100)
  }
  await snap(page, 'img2img-red-square')
  // A run snapshot does not keep the picture: an image run offers no Branch from its steps.
  await expect(page.getByTestId('branch-button')).toHaveCount(0)

  // The recoloured result becomes the input; a mask over its left half inpaints it.
  const before = await page.getByTestId('init-image').getAttribute('src')
  await page.getByLabel('Live view').getByTestId('use-as-input-button').click()
  await expect(page.getByTestId('init-image')).not.toHaveAttribute('src', before ?? '')
  await page.getByTestId('mask-size-input').fill('16')
  await paintLeftHalf(page)
  await expect(page.getByTestId('mask-summary')).toContainText(
    /Inpainting ([4-6]\d)% of the picture/
  )
  // Clear, undo, invert twice: the same mask comes back.
  await page.getByTestId('mask-clear-button').click()
  await expect(page.getByTestId('mask-summary')).toContainText('No mask painted')
  await page.getByTestId('mask-undo-button').click()
  await expect(page.getByTestId('mask-summary')).toContainText(/Inpainting ([4-6]\d)%/)
  const percent = async (): Promise<number> =>
    Number(/Inpainting (\d+)%/.exec(await page.getByTestId('mask-summary').innerText())?.[1])
  const painted = await percent()
  await page.getByTestId('mask-invert-button').click()
  await expect.poll(percent).toBeGreaterThanOrEqual(99 - painted)
  expect(await percent()).toBeLessThanOrEqual(101 - painted)
  await page.getByTestId('mask-invert-button').click()
  await expect.poll(percent).toBe(painted)

  await fillForm(page, { prompt: 'a yellow circle on a white background', seed: '1' })
  await page.getByTestId('strength-input').fill('0.75')
  await page.getByTestId('generate-button').click()
  // The first run's result stays "done" until this one ends: wait for its history entry.
  await expect(page.getByTestId('history-item')).toHaveCount(2, { timeout: 60_000 })
  await expectStatus(page, 'done')
  if (shipped) {
    const pixels = await finalPixels(page)
    let yellow = 0
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 32; x++) {
        const [r, g, b] = rgbAt(pixels, x, y) as [number, number, number]
        if (r > 150 && g > 150 && b < 110) yellow++
      }
    }
    expect(yellow).toBeGreaterThan(100)
    // The kept (unmasked) background at the right edge stays white.
    expect(Math.min(...rgbAt(pixels, 60, 8))).toBeGreaterThan(180)
  }
  await snap(page, 'inpaint-yellow-circle')

  // History keeps the input and the mask; restoring the parameters brings them back.
  await page.getByTestId('init-image-remove-button').click()
  await expect(page.getByTestId('init-image')).toHaveCount(0)
  const newest = page.getByTestId('history-item').first()
  await expect(newest.getByTestId('use-as-input-button')).toBeVisible()
  await newest.locator('button').first().click()
  await page.getByTestId('history-restore').click()
  await expect(page.getByTestId('init-image')).toBeVisible()
  await expect(page.getByTestId('mask-summary')).toContainText(/Inpainting ([4-6]\d)%/)
  await expect(page.getByTestId('strength-input')).toHaveValue('0.75')
  expectNoCspViolations(page)
  await page.close()
})

test('a pasted picture or a chosen file becomes the input; a file that is not a picture is refused', async () => {
  const page = await openApp(app.browser, app.server)
  await page.evaluate((data) => {
    const transfer = new DataTransfer()
    transfer.items.add(new File([new Uint8Array(data)], 'pasted.png', { type: 'image/png' }))
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, cancelable: true }))
  }, SQUARE)
  await expect(page.getByTestId('init-image')).toBeVisible()
  await page.getByTestId('init-image-remove-button').click()
  await page.getByTestId('init-image-input').setInputFiles({
    name: 'notes.png',
    mimeType: 'image/png',
    buffer: Buffer.from('not a picture')
  })
  await expect(page.getByTestId('init-image-error')).toContainText(
    'the picture is not a PNG or JPEG picture'
  )
  await expect(page.getByTestId('init-image')).toHaveCount(0)
  await page.getByTestId('init-image-input').setInputFiles({
    name: 'square.png',
    mimeType: 'image/png',
    buffer: Buffer.from(SQUARE)
  })
  await expect(page.getByTestId('init-image')).toBeVisible()
  await expect(page.getByTestId('init-image-error')).toHaveCount(0)
  await page.close()
})
