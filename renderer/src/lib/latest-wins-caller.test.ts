import { describe, expect, it } from 'vitest'
import { latestWinsCaller } from './latest-wins-caller'

/** A call whose promises the test resolves by hand, to control what is in flight. */
function controlledCall(): {
  call: (arg: number) => Promise<number>
  started: number[]
  finish: () => Promise<void>
} {
  const started: number[] = []
  const resolvers: (() => void)[] = []
  return {
    started,
    call: (arg) => {
      started.push(arg)
      return new Promise<number>((resolve) => resolvers.push(() => resolve(arg * 10)))
    },
    finish: async () => {
      resolvers.shift()?.()
      // Let the wrapper's continuation run.
      await new Promise((r) => setTimeout(r, 0))
    }
  }
}

describe('latestWinsCaller', () => {
  it('keeps one call in flight and runs only the newest request after it', async () => {
    const controlled = controlledCall()
    const results: number[] = []
    const send = latestWinsCaller(
      controlled.call,
      (r) => results.push(r),
      () => undefined
    )
    send(1)
    send(2)
    send(3)
    send(4)
    expect(controlled.started).toEqual([1])
    await controlled.finish()
    expect(controlled.started).toEqual([1, 4])
    await controlled.finish()
    expect(results).toEqual([10, 40])
  })

  it('reports failures and keeps going', async () => {
    const errors: string[] = []
    const send = latestWinsCaller(
      async (arg: number) => {
        if (arg === 1) throw new Error('refused')
        return arg
      },
      () => undefined,
      (e) => errors.push((e as Error).message)
    )
    send(1)
    await new Promise((r) => setTimeout(r, 0))
    expect(errors).toEqual(['refused'])
  })
})
