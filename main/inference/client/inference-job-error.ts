/** Why a job failed; `crashed` is true when the inference process itself went away. */
export class InferenceJobError extends Error {
  readonly jobId: string
  readonly crashed: boolean

  constructor(jobId: string, message: string, crashed: boolean) {
    super(message)
    this.name = 'InferenceJobError'
    this.jobId = jobId
    this.crashed = crashed
  }
}
