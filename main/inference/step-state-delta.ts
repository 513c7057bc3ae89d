import type { RunSnapshot } from '../engine'

/**
 * Step states without the tensors that did not change. A run's conditioning (prompt embeddings:
 * 462 KiB for SD 1.5 with guidance, more for SDXL) is the same array at every step, while the
 * latents are 64 KiB at 512²: writing only what changed cuts each step's record in the step-state
 * journal (step-state-journal.ts) to about a seventh.
 */

/** What a journal record holds: the state, less the tensors named in `sameAsBefore`. */
export interface StepStateDelta {
  snapshot: RunSnapshot
  /** Tensors left out because the job's previous step state sent the same data. */
  sameAsBefore: string[]
}

/** The inference process's side, one per job: remembers what it sent of the job's states. */
export class StepStateSender {
  private readonly sent = new Map<string, unknown>()

  /** The delta of `snapshot` against the job's previous one (the whole state for its first). */
  delta(snapshot: RunSnapshot): StepStateDelta {
    const tensors: RunSnapshot['tensors'] = {}
    const sameAsBefore: string[] = []
    for (const [name, tensor] of Object.entries(snapshot.tensors)) {
      // The latents change at every step (and are a copy): always sent. A conditioning tensor
      // is shared by the step snapshots of a run, so the same data array means the same values.
      const data = tensor?.data ?? null
      if (name !== 'latents' && data !== null && this.sent.get(name) === data) {
        sameAsBefore.push(name)
      } else {
        tensors[name] = tensor
        this.sent.set(name, data)
      }
    }
    // A shallow copy: the snapshot itself stays whole in this process (branching uses it).
    return { snapshot: { ...snapshot, tensors }, sameAsBefore }
  }
}

/**
 * Main's side: the whole state again, the left-out tensors taken from the job's previous state.
 * Null if a named tensor is missing there (a message out of order), so that a broken state is
 * never kept as the one to continue from.
 */
export function wholeStepState(
  delta: StepStateDelta,
  previous: RunSnapshot | null
): RunSnapshot | null {
  if (delta.sameAsBefore.length === 0) return delta.snapshot
  const tensors = { ...delta.snapshot.tensors }
  for (const name of delta.sameAsBefore) {
    const kept = previous?.tensors[name]
    if (kept === undefined) return null
    tensors[name] = kept
  }
  return { ...delta.snapshot, tensors }
}
