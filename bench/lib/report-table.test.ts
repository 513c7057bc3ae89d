import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { BenchResult } from './bench-result'
import type { DiffusersReference } from './diffusers-reference'
import { parseDiffusersReference, ratioToSameUnet } from './diffusers-reference'
import { describeRun, markdownTable } from './report-table'
import { DIFFUSERS_LOOP_LINE } from './testing/diffusers-loop-output'

/**
 * The report's same-UNet row and line, on a recorded full run (before the same-UNet reference
 * existed) given the same-UNet figures of a real diffusers_loop.py line. Nothing here judges a
 * timing: it checks that the printed ratio is the one computed from the printed figures.
 */
const RECORDED = join(__dirname, '../results/2026-12-06-1426-amd-epyc-2c-24gb.json')

function withSameUnet(sameUnet: DiffusersReference['sameUnet']): BenchResult {
  const recorded = JSON.parse(readFileSync(RECORDED, 'utf8')) as BenchResult
  const diffusersReference = { ...parseDiffusersReference(DIFFUSERS_LOOP_LINE), sameUnet }
  return {
    ...recorded,
    diffusersReference,
    loopOverheadVsDiffusersSameUnet: ratioToSameUnet(
      recorded.at512.loopOverheadMsPerStep,
      diffusersReference
    )
  }
}

function sameUnetRow(table: string): string | undefined {
  return table.split('\n').find((l) => l.startsWith('| `loopOverheadVsDiffusersSameUnet` |'))
}

describe('report: ours against diffusers’ loop around the same UNet', () => {
  it('prints the ratio with the figures it comes from, against its target', () => {
    const same = parseDiffusersReference(DIFFUSERS_LOOP_LINE).sameUnet
    const result = withSameUnet(same)
    // 0.8502 ms (the recorded at512 figure) ÷ 1.0781 ms (the line's).
    expect(result.loopOverheadVsDiffusersSameUnet).toBeCloseTo(
      0.8501513156254077 / 1.0780971992062405,
      12
    )
    const row = sameUnetRow(markdownTable(result))
    expect(row).toContain('≤ 1 (ms per step outside the UNet')
    expect(row).toContain(
      "✅ 0.79 (ours 0.850 ms/step ÷ diffusers 0.40.0.dev0's loop around resources/models/stepwise-shapes-64/unet/model.onnx 1.078 ms/step; its UNet 371.1 ms, onnxruntime 1.30.0 on 2 threads, 10 steps × 8 runs)"
    )
    expect(describeRun(result).split('\n').pop()).toBe(
      "diffusers' loop around the same UNet (resources/models/stepwise-shapes-64/unet/model.onnx, onnxruntime 1.30.0, 2 intra-op threads): 1.078 ms/step outside the UNet (UNet 371.1 ms); ours ÷ that: 0.79 (target ≤ 1)"
    )
  })

  it('says why where the same-UNet run was skipped or not asked for', () => {
    const skipped = withSameUnet({ skipped: '/usr/bin/python3 cannot import onnxruntime' })
    expect(skipped.loopOverheadVsDiffusersSameUnet).toBeNull()
    expect(sameUnetRow(markdownTable(skipped))).toContain(
      '| – (/usr/bin/python3 cannot import onnxruntime) |'
    )
    const none = withSameUnet(null)
    expect(none.loopOverheadVsDiffusersSameUnet).toBeNull()
    expect(sameUnetRow(markdownTable(none))).toContain('| – (not measured) |')
    expect(describeRun(none)).not.toContain('around the same UNet')
  })
})
