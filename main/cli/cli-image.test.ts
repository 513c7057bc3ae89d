import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import jpeg from 'jpeg-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseA1111Parameters } from '../../shared/a1111-parameters'
import { decodePng, encodePng, readPngText } from '../engine'
import type { GenerateJson } from './generate-command'
import { ensureBuilt, runBuiltCli } from '../../testing/built-cli'
import type { CliRun } from '../../testing/built-cli'

// The built CLI's image-to-image and inpainting runs on the shipped model: --init-image (PNG
// and JPEG), --strength, --mask, the JSON's strength and start step, the PNG's A1111 fields, and
// the errors for bad pictures and options.
const root = resolve(__dirname, '../..')
const model = join(root, 'resources/models/stepwise-shapes-64')
const scratch = mkdtempSync(join(tmpdir(), 'stepwise-cli-image-'))
const square = join(scratch, 'blue-square.png')
const squareJpeg = join(scratch, 'blue-square.jpg')
const mask = join(scratch, 'left-half.png')

function runCli(args: string[]): Promise<CliRun> {
  return runBuiltCli(args, { cwd: scratch })
}

const base = ['generate', '--model', model, '--provider', 'cpu', '--seed', '5', '--steps', '10']

beforeAll(async () => {
  await ensureBuilt()
  copyFileSync(join(root, 'main/engine/pipelines/fixtures/blue-square-64.png'), square)
  const pixels = decodePng(readFileSync(square))
  writeFileSync(squareJpeg, jpeg.encode({ ...pixels, data: Buffer.from(pixels.data) }, 95).data)
  const m = new Uint8Array(64 * 64 * 4)
  for (let p = 0; p < 64 * 64; p++) {
    const v = p % 64 < 32 ? 255 : 0
    m.set([v, v, v, 255], p * 4)
  }
  writeFileSync(mask, encodePng({ width: 64, height: 64, data: m }))
}, 300_000)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('stepwise generate --init-image (built CLI, shipped model)', () => {
  it('img2img from a PNG: --json reports strength and the start step; the PNG records them', async () => {
    const out = join(scratch, 'red.png')
    const r = await runCli([
      ...base,
      '--prompt',
      'a red square on a white background',
      '--init-image',
      square,
      '--strength',
      '0.6',
      '--out',
      out,
      '--json'
    ])
    expect(r.stderr).not.toMatch(/error/)
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as GenerateJson
    expect(json).toMatchObject({ strength: 0.6, startStep: 4, numTimesteps: 6, stepsRun: 6 })
    expect(json.steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5])
    const params = parseA1111Parameters(readPngText(readFileSync(out)).parameters ?? '')
    expect(params.fields['Denoising strength']).toBe('0.6')
    expect(params.fields['Init image']).toBe('blue-square.png')
  })

  it('inpaints a JPEG picture with a PNG mask', async () => {
    const out = join(scratch, 'circle.png')
    const r = await runCli([
      ...base,
      '--prompt',
      'a yellow circle on a white background',
      '--init-image',
      squareJpeg,
      '--mask',
      mask,
      '--out',
      out,
      '--json'
    ])
    expect(r.code).toBe(0)
    const json = JSON.parse(r.stdout) as GenerateJson
    expect(json).toMatchObject({ strength: 0.75, width: 64, height: 64 })
    const image = decodePng(readFileSync(out))
    // The kept (black) half stays close to the picture: the right edge is still white-ish.
    const at = (x: number, y: number) =>
      Array.from(image.data.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 3))
    expect(Math.min(...at(62, 2))).toBeGreaterThan(180)
    const fields = parseA1111Parameters(readPngText(readFileSync(out)).parameters ?? '').fields
    expect(fields['Mask']).toBe('left-half.png')
  })
})

describe('stepwise generate --init-image: errors', () => {
  it.each([
    [['--init-image', 'missing.png'], /--init-image: no such file "missing.png"/],
    [['--mask', 'left-half.png'], /--mask needs --init-image FILE/],
    [['--strength', '0.5'], /--strength needs --init-image FILE/],
    [
      ['--init-image', 'blue-square.png', '--strength', '1.5'],
      /--strength: must be a number above 0 and at most 1 \(got 1.5\)/
    ],
    [
      ['--init-image', 'blue-square.png', '--strength', '0'],
      /--strength: must be a number above 0 and at most 1 \(got 0\)/
    ],
    [['--init-image', 'notes.txt'], /--init-image "[^"]*notes.txt" is not a PNG or JPEG picture/],
    [['--init-image', 'broken.png'], /--init-image "[^"]*broken.png" is a damaged PNG file/],
    [
      ['--init-image', 'blue-square.png', '--save-state', 'state.bin'],
      /--init-image cannot be used with --save-state: image-to-image and inpainting runs cannot be continued/
    ]
  ])('%j', async (args, message) => {
    writeFileSync(join(scratch, 'notes.txt'), 'not a picture')
    writeFileSync(join(scratch, 'broken.png'), readFileSync(square).subarray(0, 100))
    const r = await runCli([...base, '--prompt', 'a red square', ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a strength that runs no step is refused with the reason', async () => {
    const r = await runCli([
      ...base,
      '--prompt',
      'a red square',
      '--init-image',
      square,
      '--strength',
      '0.05'
    ])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/strength: 0.05 with 10 steps runs no denoising step/)
  })
})
