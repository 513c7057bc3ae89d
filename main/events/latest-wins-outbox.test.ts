import { describe, expect, it } from 'vitest'
import type { JobStepEvent, StepwiseEvent } from '../../shared/contract'
import { LatestWinsOutbox, OUTBOX_POLL_MS } from './latest-wins-outbox'
import type { EventTransport } from './latest-wins-outbox'

function step(index: number, withPreview: boolean): JobStepEvent {
  return {
    type: 'job:step',
    jobId: 'j1',
    index,
    timestep: 999 - index,
    total: 20,
    ms: 10,
    unetMs: 8,
    unetBatch: 2,
    cfg: true,
    guidanceScale: 7.5,
    endedAt: 1_700_000_000_000.5,
    preview: withPreview ? { width: 2, height: 1, rgba: new Uint8Array(8).fill(index) } : null
  }
}

/** A connection whose previews flush only when the test says so. */
class ManualTransport implements EventTransport {
  sent: StepwiseEvent[] = []
  flushed = true
  open = true
  send(event: StepwiseEvent): void {
    this.sent.push(event)
    if (event.type === 'job:step' && event.preview !== null) this.flushed = false
  }
  previewFlushed(): boolean {
    return this.flushed
  }
  isOpen(): boolean {
    return this.open
  }
}

const indexWithPreview = (events: StepwiseEvent[]): number[] =>
  events.flatMap((e) => (e.type === 'job:step' && e.preview !== null ? [e.index] : []))

describe('LatestWinsOutbox', () => {
  it('sends everything at once over a connection that keeps up', () => {
    const transport = new ManualTransport()
    const outbox = new LatestWinsOutbox(transport)
    for (let i = 0; i < 5; i++) {
      outbox.push(step(i, true))
      transport.flushed = true
    }
    expect(indexWithPreview(transport.sent)).toEqual([0, 1, 2, 3, 4])
    expect(outbox.superseded).toBe(0)
  })

  it('never queues previews behind each other: the newest replaces the waiting one', () => {
    const transport = new ManualTransport()
    const outbox = new LatestWinsOutbox(transport)
    outbox.push(step(0, true)) // goes out; the connection is now busy
    outbox.push(step(1, true)) // waits
    outbox.push({ type: 'job:warning', jobId: 'j1', message: 'w' }) // waits behind it, in order
    outbox.push(step(2, true)) // supersedes 1: step 1's metadata and the warning go out now
    outbox.push(step(3, true)) // supersedes 2
    expect(outbox.pending).toBe(1)
    expect(transport.sent.map((e) => e.type)).toEqual([
      'job:step',
      'job:step',
      'job:warning',
      'job:step'
    ])
    // Step metadata always arrives, in order; only the pixels of superseded steps are dropped.
    expect(transport.sent.map((e) => (e.type === 'job:step' ? e.index : e.type))).toEqual([
      0,
      1,
      'job:warning',
      2
    ])
    expect(indexWithPreview(transport.sent)).toEqual([0])
    expect(outbox.superseded).toBe(2)
    transport.flushed = true
    outbox.flush()
    expect(indexWithPreview(transport.sent)).toEqual([0, 3])
    expect(outbox.pending).toBe(0)
  })

  it('lets metadata-only events through while a preview is in flight', () => {
    const transport = new ManualTransport()
    const outbox = new LatestWinsOutbox(transport)
    outbox.push(step(0, true))
    outbox.push(step(1, false))
    outbox.push({ type: 'history:changed' })
    expect(transport.sent).toHaveLength(3)
  })

  it('re-checks a busy connection by itself until the preview can go', async () => {
    const transport = new ManualTransport()
    const outbox = new LatestWinsOutbox(transport)
    outbox.push(step(0, true))
    outbox.push(step(1, true))
    expect(indexWithPreview(transport.sent)).toEqual([0])
    transport.flushed = true
    await new Promise((resolve) => setTimeout(resolve, OUTBOX_POLL_MS * 4))
    expect(indexWithPreview(transport.sent)).toEqual([0, 1])
  })

  it('drops everything once the connection is closed', () => {
    const transport = new ManualTransport()
    const outbox = new LatestWinsOutbox(transport)
    outbox.push(step(0, true))
    outbox.push(step(1, true))
    transport.open = false
    outbox.push(step(2, false))
    expect(transport.sent).toHaveLength(1)
    expect(outbox.pending).toBe(0)
  })
})
