import { describe, expect, it } from 'vitest'
import {
  EVENT_ACK_CHANNEL,
  EVENT_CHANNEL,
  OPERATION_NAMES,
  channelFor
} from '../../shared/channels'
import type { StepwiseEvent } from '../../shared/contract'
import { createBridge } from './bridge'
import type { BridgeIpc } from './bridge'

/** Records what the bridge asks of ipcRenderer. */
function recordingIpc() {
  const invoked: Array<[string, unknown[]]> = []
  const sent: string[] = []
  const handlers = new Map<string, (event: unknown, payload: unknown) => void>()
  const ipc: BridgeIpc = {
    invoke: async (channel, ...args) => {
      invoked.push([channel, args])
      return { ok: true, value: channel }
    },
    on: (channel, listener) => handlers.set(channel, listener),
    send: (channel) => sent.push(channel)
  }
  const push = (payload: StepwiseEvent): void =>
    handlers.get(EVENT_CHANNEL)?.({ sender: 'raw ipc', ports: [] }, payload)
  return { ipc, invoked, sent, push }
}

describe('the preload bridge (window.stepwise)', () => {
  it('exposes exactly one function per operation plus onEvent, frozen', () => {
    const bridge = createBridge(recordingIpc().ipc)
    expect(Object.keys(bridge).sort()).toEqual([...OPERATION_NAMES, 'onEvent'].sort())
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function')
    expect(Object.isFrozen(bridge)).toBe(true)
    expect('invoke' in bridge || 'send' in bridge || 'on' in bridge).toBe(false)
  })

  it('adds pathForFile (the path of a dropped folder) only when the preload provides it', () => {
    const bridge = createBridge(recordingIpc().ipc, (file: never) => `/dropped/${String(file)}`)
    expect(Object.keys(bridge).sort()).toEqual(
      [...OPERATION_NAMES, 'onEvent', 'pathForFile'].sort()
    )
    expect((bridge['pathForFile'] as (f: string) => string)('models')).toBe('/dropped/models')
  })

  it('invokes each operation on its own channel with the arguments as given', async () => {
    const { ipc, invoked } = recordingIpc()
    const bridge = createBridge(ipc) as Record<string, (...args: unknown[]) => Promise<unknown>>
    for (const op of OPERATION_NAMES) {
      expect(await bridge[op]?.('a', 1)).toEqual({ ok: true, value: channelFor(op) })
    }
    expect(invoked).toEqual(OPERATION_NAMES.map((op) => [channelFor(op), ['a', 1]]))
  })

  it('passes event payloads only, and acknowledges previews', () => {
    const { ipc, sent, push } = recordingIpc()
    const bridge = createBridge(ipc) as unknown as {
      onEvent(listener: (event: unknown) => void): () => void
    }
    const received: unknown[][] = []
    const unsubscribe = bridge.onEvent((...args) => received.push(args))
    const broken = bridge.onEvent(() => {
      throw new Error('a broken listener must not stop the others')
    })
    push({ type: 'history:changed' })
    const step: StepwiseEvent = {
      type: 'job:step',
      jobId: 'j',
      index: 0,
      timestep: 999,
      total: 1,
      ms: 1,
      unetMs: 1,
      unetBatch: 2,
      cfg: true,
      guidanceScale: 7.5,
      endedAt: 1_700_000_000_000.5,
      preview: { width: 1, height: 1, rgba: new Uint8Array(4) }
    }
    push(step)
    push({ ...step, preview: null })
    expect(received).toEqual([[{ type: 'history:changed' }], [step], [{ ...step, preview: null }]])
    expect(sent).toEqual([EVENT_ACK_CHANNEL])
    unsubscribe()
    broken()
    push({ type: 'history:changed' })
    expect(received).toHaveLength(3)
    expect(() => bridge.onEvent('not a function' as never)).toThrow(TypeError)
  })
})
