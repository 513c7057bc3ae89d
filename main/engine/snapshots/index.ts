/**
 * Run snapshots: a run's complete state at the end of a step, to continue it later (even in
 * another process) or to branch from it with other prompts or guidance, bit for bit the run it
 * came from. `pipe.call({ resumeFrom })` takes one; the file format keeps them.
 */
export * from './run-snapshot'
export {
  serializeRunSnapshot,
  serializeRunSnapshots,
  parseRunSnapshot,
  parseRunSnapshots
} from './snapshot-file'
export { modelIdentity } from './model-identity'
export { checkSnapshotModel, checkSnapshotScheduler } from './resume'
