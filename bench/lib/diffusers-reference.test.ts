import { describe, expect, it } from 'vitest'
import { parseDiffusersReference } from './diffusers-reference'
import { DIFFUSERS_LOOP_LINE as LINE } from './testing/diffusers-loop-output'

/**
 * Reading diffusers_loop.py's output with its same-UNet run (`--unet-onnx`). Nothing here judges
 * a number: the figures are one real run's, read back exactly.
 */

describe("diffusers' loop around the same UNet", () => {
  it('reads sameUnet whole', () => {
    expect(parseDiffusersReference(LINE).sameUnet).toEqual({
      graph: 'resources/models/stepwise-shapes-64/unet/model.onnx',
      onnxruntime: '1.30.0',
      intraOpThreads: 2,
      embeddingShape: [1, 24, 128],
      loopOverheadMsPerStep: 1.0780971992062405,
      medianStepOverheadMs: 1.052089995937422,
      unetMsPerStep: 371.05467850051355,
      steps: 10,
      runs: 8
    })
  })

  it('reads null where the script was not given --unet-onnx, and refuses a line without it', () => {
    const start = LINE.indexOf('"sameUnet": ')
    const without = `${LINE.slice(0, start)}"sameUnet": null}`
    expect(parseDiffusersReference(without).sameUnet).toBeNull()
    expect(() => parseDiffusersReference(`${LINE.slice(0, start - 2)}}`)).toThrow(
      'sameUnet is missing'
    )
  })

  it('names the first sameUnet field that is missing or not what it should be', () => {
    expect(() => parseDiffusersReference(LINE.replace('"onnxruntime": "1.30.0", ', ''))).toThrow(
      'sameUnet.onnxruntime is not a string'
    )
    expect(() =>
      parseDiffusersReference(
        LINE.replace('"unetMsPerStep": 371.05467850051355', '"unetMsPerStep": "371"')
      )
    ).toThrow('sameUnet.unetMsPerStep is not a number')
    expect(() => parseDiffusersReference(LINE.replace('[1, 24, 128]', '[24, 128]'))).toThrow(
      'sameUnet.embeddingShape is not three numbers'
    )
    expect(() =>
      parseDiffusersReference(LINE.replace(/"sameUnet": \{.*\}\}$/, '"sameUnet": 1}'))
    ).toThrow('sameUnet is not an object or null')
  })
})
