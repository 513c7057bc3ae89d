import { describe, expect, it } from 'vitest'
import { paintMarkName, parsePaintMarkName } from './paint-marks'

describe('paint mark names', () => {
  it('round-trip a job id (colons included) and a step index', () => {
    expect(parsePaintMarkName(paintMarkName('job:7', 12))).toEqual({ jobId: 'job:7', index: 12 })
  })

  it('refuse other names and malformed indices', () => {
    expect(parsePaintMarkName('other:mark')).toBeNull()
    expect(parsePaintMarkName('stepwise:paint:job')).toBeNull()
    expect(parsePaintMarkName('stepwise:paint:job:-1')).toBeNull()
    expect(parsePaintMarkName('stepwise:paint:job:1.5')).toBeNull()
  })
})
