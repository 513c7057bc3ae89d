import { describe, expect, it } from 'vitest'
import { formatBytes } from './format-bytes'

describe('formatBytes', () => {
  it('says sizes in decimal units, one decimal below 10', () => {
    expect([0, 999, 1536, 4_800_000, 35_000_000, 5 * 2 ** 30].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.5 kB',
      '4.8 MB',
      '35 MB',
      '5.4 GB'
    ])
  })
})
