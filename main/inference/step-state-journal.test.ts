import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunSnapshot } from '../engine'
import { stepStatesOfRun } from '../../testing/step-states'
import {
  newStepStateJournalPath,
  readStepStateJournal,
  removeStepStateJournal,
  StepStateJournalWriter
} from './step-state-journal'

const dir = mkdtempSync(join(tmpdir(), 'stepwise-journal-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Writes `states` to a new journal at `path`: each append's answer, and the file's size after it. */
function writeJournal(
  path: string,
  states: readonly RunSnapshot[]
): { ends: number[]; problems: (string | null)[] } {
  const writer = new StepStateJournalWriter(path)
  const ends: number[] = []
  const problems: (string | null)[] = []
  for (const state of states) {
    problems.push(writer.append(state))
    ends.push(statSync(path).size)
  }
  writer.close()
  return { ends, problems }
}

describe('the step-state journal', () => {
  it('gives back every state of a real run whole, the conditioning written once', async () => {
    const states = await stepStatesOfRun(11)
    const path = join(dir, 'whole.states')
    const { ends: sizes, problems } = writeJournal(path, states)
    expect(problems).toEqual(states.map(() => null))
    expect(readStepStateJournal(path)).toEqual(states)
    // Later records carry the latents and the scheduler's state, not the prompt embeddings again.
    const first = sizes[0] as number
    const second = (sizes[1] as number) - first
    expect(second).toBeLessThan(first / 2)
  })

  it('stops at a record a kill cut short, and at a file that is not a journal', async () => {
    const states = await stepStatesOfRun(12)
    const path = join(dir, 'cut.states')
    const { ends } = writeJournal(path, states)
    // Cut inside the third record: the first two are whole.
    truncateSync(path, (ends[1] as number) + 100)
    expect(readStepStateJournal(path)).toEqual(states.slice(0, 2))
    // Cut inside the second record's header.
    truncateSync(path, (ends[0] as number) + 3)
    expect(readStepStateJournal(path)).toEqual(states.slice(0, 1))
    // Bytes that are not a record end the list where they start.
    const garbage = join(dir, 'garbage.states')
    writeFileSync(
      garbage,
      Buffer.concat([readFileSync(path).subarray(0, ends[0]), Buffer.from('not a record at all')])
    )
    expect(readStepStateJournal(garbage)).toEqual(states.slice(0, 1))
  })

  it('reads a missing journal as no states, and a failed write says so once', async () => {
    expect(readStepStateJournal(join(dir, 'none.states'))).toEqual([])
    const [state] = await stepStatesOfRun(13)
    if (state === undefined) throw new Error('the run kept no state')
    const writer = new StepStateJournalWriter(join(dir, 'no-such-folder', 'x.states'))
    expect(writer.append(state)).toMatch(/could not be written to .*no-such-folder.*ENOENT/)
    expect(writer.append(state)).toBeNull()
  })

  it('hands out a fresh path per job and deletes a journal', () => {
    const [a, b] = [newStepStateJournalPath(), newStepStateJournalPath()]
    expect(a).not.toBe(b)
    writeFileSync(a, 'x')
    removeStepStateJournal(a)
    removeStepStateJournal(b)
    expect(existsSync(a)).toBe(false)
  })
})
