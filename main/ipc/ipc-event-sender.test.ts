import { describe, expect, it } from 'vitest'
import { EVENT_CHANNEL } from '../../shared/channels'
import type { StepwiseEvent } from '../../shared/contract'
import { ACK_TIMEOUT_MS, IpcEventSender } from './ipc-event-sender'
import type { EventTarget } from './ipc-event-sender'

function step(index: number): StepwiseEvent {
  return {
    type: 'job:step',
    jobId: 'j',
    index,
    timestep: index,
    total: 10,
    ms: 1,
    unetMs: 1,
    unetBatch: 1,
    cfg: false,
    guidanceScale: 7.5,
    endedAt: 1_700_000_000_000.5,
    preview: { width: 1, height: 1, rgba: Uint8Array.of(index, 0, 0, 255) }
  }
}

function recordingTarget(): EventTarget & { sent: Array<[string, StepwiseEvent]>; gone: boolean } {
  const target = {
    sent: [] as Array<[string, StepwiseEvent]>,
    gone: false,
    send(channel: string, payload: StepwiseEvent) {
      target.sent.push([channel, payload])
    },
    isDestroyed: () => target.gone
  }
  return target
}

const previews = (sent: Array<[string, StepwiseEvent]>): number[] =>
  sent.flatMap(([, e]) => (e.type === 'job:step' && e.preview !== null ? [e.index] : []))

describe('IpcEventSender (Electron latest-wins delivery)', () => {
  it('holds the next preview until the preload acknowledges the last one', () => {
    const target = recordingTarget()
    const sender = new IpcEventSender(target, () => 0)
    for (let i = 0; i < 10; i++) sender.deliver(step(i))
    expect(target.sent.every(([channel]) => channel === EVENT_CHANNEL)).toBe(true)
    // All ten steps' metadata went out except the one still holding the newest preview.
    expect(target.sent).toHaveLength(9)
    expect(previews(target.sent)).toEqual([0])
    expect(sender.superseded).toBe(8)
    sender.acknowledge()
    expect(previews(target.sent)).toEqual([0, 9])
  })

  it('treats a preview as flushed after the acknowledgement timeout', () => {
    let now = 0
    const target = recordingTarget()
    const sender = new IpcEventSender(target, () => now)
    sender.deliver(step(0))
    sender.deliver(step(1))
    expect(previews(target.sent)).toEqual([0])
    now = ACK_TIMEOUT_MS
    sender.deliver({ type: 'history:changed' })
    expect(previews(target.sent)).toEqual([0, 1])
  })

  it('sends nothing to a destroyed window', () => {
    const target = recordingTarget()
    const sender = new IpcEventSender(target, () => 0)
    target.gone = true
    sender.deliver(step(0))
    expect(target.sent).toEqual([])
  })
})
