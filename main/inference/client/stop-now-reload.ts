import type { InferenceCommand } from '../protocol'
import type { RunningJob } from './stop-now'

/**
 * The fresh process's work after "stop now": decode the stopped job's last step, then load the
 * model again. Commands for the next job are held meanwhile and sent in order once it has
 * (`reloaded`), so the next job never loads beside it; status and snapshot questions are
 * answered beside the reload.
 */
export class StopNowReload {
  /** The job whose stop-now decode and reload the fresh process is busy with (null: none). */
  job: RunningJob | null = null
  /** Commands held meanwhile (null: none held). */
  private held: InferenceCommand[] | null = null

  /** Starts holding commands while the fresh process decodes and reloads for `job`. */
  begin(job: RunningJob): void {
    this.job = job
    this.held = []
  }

  /** Holds a command that must wait for the reload; false when it can go now. */
  hold(command: InferenceCommand): boolean {
    if (this.held === null || command.type === 'status' || command.type === 'get-snapshot') {
      return false
    }
    this.held.push(command)
    return true
  }

  /** Ends the reload (done, or its process died): the commands held, in order. */
  end(): InferenceCommand[] {
    const held = this.held ?? []
    this.job = null
    this.held = null
    return held
  }
}
