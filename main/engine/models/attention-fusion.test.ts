import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { fuseAttention } from './attention-fusion'
import { decodeOnnxModel } from './onnx-graph'
import {
  allAttentionFixtures,
  fixtureFeeds,
  fixturePath,
  maxRelativeDifference,
  runGraph
} from '../testing/attention-fixtures'

// Fused and exported graphs compute the same sums in another order: they agree to a few float32
// ulps of the outputs' magnitude (measured: at most 2.4e-7 relative on these graphs).
const FLOAT32_ROUNDING = 5e-6

const fixtures = allAttentionFixtures()
const fusable = fixtures.filter((f) => f.expect === 'fused')
const unfusable = fixtures.filter((f) => f.expect === 'unfused')

describe('attention fusion on the torch 1.13 and torch 2.x fixture graphs', () => {
  it('has fixtures of both exporters, fusable and not', () => {
    for (const tag of ['torch1/', 'torch2/']) {
      expect(fusable.filter((f) => f.file.startsWith(tag)).length).toBeGreaterThanOrEqual(8)
      expect(unfusable.filter((f) => f.file.startsWith(tag)).length).toBeGreaterThanOrEqual(5)
    }
  })

  it.each(fusable.map((f) => [f.file, f] as const))(
    '%s: every attention becomes one MultiHeadAttention, exactly',
    async (_, f) => {
      const file = fixturePath(f)
      const original = new Uint8Array(readFileSync(file))
      const fusion = fuseAttention(original)
      expect(fusion.fused).toBe(f.count)
      expect(fusion.found).toBe(f.count)
      expect(fusion.heads).toEqual(f.heads)
      expect(fusion.bytes).not.toBeNull()

      const before = decodeOnnxModel(original)
      const after = decodeOnnxModel(fusion.bytes as Uint8Array)
      const mha = after.nodes.filter((n) => n.opType === 'MultiHeadAttention')
      expect(mha.map((n) => n.domain)).toEqual(mha.map(() => 'com.microsoft'))
      expect(mha.map((n) => n.attributes.get('num_heads')?.i)).toEqual(f.heads)
      const scales = mha.map((n) => n.attributes.get('scale')?.f ?? null)
      expect(scales).toEqual(mha.map(() => (f.scale === undefined ? null : Math.fround(f.scale))))
      expect(after.nodes.some((n) => n.opType === 'Softmax')).toBe(false)
      expect(after.nodes.length).toBeLessThan(before.nodes.length)
      expect(after.opsets).toContainEqual({ domain: 'com.microsoft', version: 1 })
      // No weight is added, dropped or changed.
      const weights = (m: typeof before): string[] =>
        [...m.initializers.values()].map((i) => `${i.name}:${i.dims.join('x')}:${i.raw.length}`)
      expect(weights(after)).toEqual(weights(before))

      for (const resized of [false, true]) {
        const feeds = fixtureFeeds(f, resized)
        const expected = await runGraph(file, null, feeds)
        const got = await runGraph(file, fusion.bytes, feeds)
        expect(maxRelativeDifference(expected, got)).toBeLessThan(FLOAT32_ROUNDING)
      }
    }
  )

  it.each(unfusable.map((f) => [f.file, f] as const))(
    '%s: is left as exported, with its reason',
    (_, f) => {
      const fusion = fuseAttention(new Uint8Array(readFileSync(fixturePath(f))))
      expect(fusion.found).toBe(1)
      expect(fusion.fused).toBe(0)
      expect(fusion.bytes).toBeNull()
      expect(fusion.misses).toHaveLength(1)
      expect(fusion.misses[0]?.reason).toContain(f.reason)
    }
  )

  it('leaves a float16 graph alone and says why', () => {
    const file = path.resolve(__dirname, '../../../fixtures/models/tiny-sd-fp16/unet/model.onnx')
    const fusion = fuseAttention(new Uint8Array(readFileSync(file)))
    expect(fusion.bytes).toBeNull()
    expect(fusion.notAttempted).toBe('the graph computes in float16')
  })
})
