import { describe, expect, it } from 'vitest'
import { OPERATION_NAMES } from '../../shared/channels'
import { operationArgs } from '../../shared/contract'
import type { StepwiseOperations } from '../../shared/contract'
import { dispatch } from './dispatch'
import { MAX_PAYLOAD_BYTES, payloadExceeds } from './payload-size'

/**
 * Every operation refuses bad payloads before main's implementation runs: the implementation
 * below records calls, so "refused" also proves "nothing changed".
 */
const calls: string[] = []
const recording = Object.fromEntries(
  OPERATION_NAMES.map((op) => [
    op,
    async (...args: unknown[]) => {
      calls.push(`${op}(${JSON.stringify(args)})`)
      return null
    }
  ])
) as unknown as StepwiseOperations

async function refusal(op: string, args: unknown): Promise<string> {
  calls.length = 0
  const result = await dispatch(recording, op, args)
  expect(calls).toEqual([])
  if (result.ok) throw new Error(`${op} accepted ${JSON.stringify(args)}`)
  expect(result.error.code).toBe('invalid-argument')
  return result.error.message
}

describe('contract validation', () => {
  it('has a schema for every operation', () => {
    expect(Object.keys(operationArgs).sort()).toEqual([...OPERATION_NAMES].sort())
  })

  it('accepts valid payloads and applies defaults', async () => {
    calls.length = 0
    const ok = await dispatch(recording, 'generate', [{ prompt: 'a red circle' }])
    expect(ok.ok).toBe(true)
    expect(calls[0]).toContain('"negativePrompt":""')
    expect(calls[0]).toContain('"seed":null')
    expect((await dispatch(recording, 'setCfgCutoff', ['job-1', { ratio: 0.4 }])).ok).toBe(true)
    expect((await dispatch(recording, 'setCfgCutoff', ['job-1', null])).ok).toBe(true)
    expect((await dispatch(recording, 'historyImage', [{ id: 'h1', step: 3 }])).ok).toBe(true)
  })

  it('names fields by their labels, never by internal names or argument positions', async () => {
    const messages = [
      await refusal('addModel', ['relative/path']),
      await refusal('startDownload', [{ repo: 'not a repo' }]),
      await refusal('generate', [{ prompt: 'x', numInferenceSteps: 0, guidanceScale: -1 }]),
      await refusal('setCfgCutoff', ['job-1', { stepIndex: -1 }])
    ]
    expect(messages).toEqual([
      'Cannot add the model: Folder: must be an absolute folder path (or start with ~)',
      'Cannot download: Repository: must be a Hugging Face repository id like owner/name',
      'Cannot generate: Steps: must be an integer from 1 to 500 (got 0); Guidance (CFG): must be a finite number from 0 to 50 (got -1)',
      'Cannot move the CFG cutoff: CFG cutoff step index: must be an integer from 0 to 1000 (got -1)'
    ])
    for (const m of messages)
      expect(m).not.toMatch(/numInferenceSteps|guidanceScale|stepIndex|\b0\.|: 0:/)
  })

  it('refuses missing fields, naming them', async () => {
    expect(await refusal('generate', [{}])).toMatch(/^Cannot generate: Prompt: must be text/)
    expect(await refusal('generate', [])).toBe('generate: expected 1 argument, got 0')
    expect(await refusal('stop', [])).toBe('stop: expected 1 argument, got 0')
    expect(await refusal('setCfgCutoff', ['job-1'])).toBe(
      'setCfgCutoff: expected 2 arguments, got 1'
    )
    expect(await refusal('stop', [undefined])).toMatch(/^Cannot stop: Job id: must be an id string/)
    expect(await refusal('historyImage', [{}])).toMatch(/Id: must be an id string/)
  })

  it('refuses extra fields and extra arguments', async () => {
    expect(await refusal('generate', [{ prompt: 'x', evil: true }])).toMatch(/evil/)
    expect(await refusal('historyImage', [{ id: 'h1', path: '/etc/passwd' }])).toMatch(/path/)
    expect(await refusal('setCfgCutoff', ['j', { ratio: 0.5, stepIndex: 3 }])).toMatch(
      /CFG cutoff: /
    )
    expect(await refusal('listJobs', ['extra'])).toBe('listJobs: expected 0 arguments, got 1')
    expect(await refusal('stop', ['a', 'b'])).toBe('stop: expected 1 argument, got 2')
  })

  it('refuses wrongly typed fields with what is allowed', async () => {
    expect(await refusal('generate', [{ prompt: 'x', numInferenceSteps: 2.5 }])).toMatch(
      /Steps: must be an integer from 1 to 500 \(got 2\.5\)/
    )
    expect(await refusal('generate', [{ prompt: 'x', guidanceScale: 'high' }])).toMatch(
      /Guidance \(CFG\): must be a finite number from 0 to 50/
    )
    expect(await refusal('generate', [{ prompt: 'x', width: 100 }])).toMatch(
      /Width: must be a multiple of 8/
    )
    expect(await refusal('generate', [{ prompt: 'x', scheduler: 'magic' }])).toMatch(
      /unknown scheduler "magic"/
    )
    expect(await refusal('stop', [42])).toMatch(/must be an id string/)
    expect(await refusal('historyGet', ['../../etc/passwd'])).toMatch(/must be an id of 1–64/)
    expect(await refusal('historyImage', [{ id: 'h', step: -1 }])).toMatch(/Step: must be 0/)
    expect(await refusal('setCfgCutoff', ['j', { ratio: 1.5 }])).toMatch(
      /CFG cutoff: must be a finite number from 0 to 1 \(got 1\.5\)/
    )
    expect(await refusal('generate', { 0: { prompt: 'x' } })).toBe(
      'generate: expected 1 argument, got no argument list'
    )
  })

  it('refuses megabytes-long payloads before validating them', async () => {
    const huge = 'x'.repeat(3 * 1024 * 1024)
    expect(await refusal('generate', [{ prompt: huge }])).toMatch(/larger than 256 KiB/)
    expect(await refusal('stop', [huge])).toMatch(/larger than 256 KiB/)
    expect(await refusal('historyGet', [[...Array(200_000).keys()]])).toMatch(/larger than/)
    expect(await refusal('generate', [{ prompt: 'x', blob: new Uint8Array(1 << 20) }])).toMatch(
      /larger than/
    )
    // Just under the limit is judged by the schema instead (a prompt over 20 000 characters).
    expect(await refusal('generate', [{ prompt: 'y'.repeat(30_000) }])).toMatch(
      /Prompt: must be at most 20000 characters/
    )
  })

  it('estimates payload size without recursing', () => {
    let deep: unknown = 'leaf'
    for (let i = 0; i < 100_000; i++) deep = { d: deep }
    expect(payloadExceeds(deep)).toBe(true)
    expect(payloadExceeds({ prompt: 'x'.repeat(1000) })).toBe(false)
    expect(payloadExceeds('x'.repeat(MAX_PAYLOAD_BYTES / 2 + 1))).toBe(true)
  })
})
