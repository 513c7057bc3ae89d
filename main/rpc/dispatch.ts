import { isOperationName } from '../../shared/channels'
import { operationArgs } from '../../shared/contract'
import type { StepwiseOperations } from '../../shared/contract'
import type { Envelope } from '../../shared/errors'
import { StepwiseError, toErrorPayload } from '../../shared/errors'
import { argumentLabel, OPERATION_LABELS } from '../../shared/labels'
import { describeZodError } from '../../shared/validation'
import { payloadExceeds, payloadLimitFor } from './payload-size'

/**
 * Runs one operation for an untrusted caller: checks the operation name, refuses oversized
 * payloads, validates the arguments against the contract's schema (missing, extra and wrongly
 * typed fields are refused with a message naming each), and returns an envelope (errors never throw across
 * the boundary, and never carry stack traces).
 */
export async function dispatch(
  api: StepwiseOperations,
  operation: unknown,
  rawArgs: unknown
): Promise<Envelope<unknown>> {
  try {
    if (!isOperationName(operation)) {
      throw new StepwiseError('unknown-operation', `unknown operation ${JSON.stringify(operation)}`)
    }
    const limit = payloadLimitFor(operation)
    if (payloadExceeds(rawArgs, limit)) {
      throw new StepwiseError(
        'invalid-argument',
        operation === 'putInputImage'
          ? `${operation}: the picture is larger than ${Math.floor(limit / 1024 / 1024)} MiB`
          : `${operation}: the arguments are larger than ${limit / 1024} KiB (prompts are at most 20000 characters)`
      )
    }
    const schema = operationArgs[operation]
    const expected = schema.def.items.length
    if (!Array.isArray(rawArgs) || rawArgs.length !== expected) {
      const got = Array.isArray(rawArgs) ? `${rawArgs.length}` : 'no argument list'
      throw new StepwiseError(
        'invalid-argument',
        `${operation}: expected ${expected} argument${expected === 1 ? '' : 's'}, got ${got}`
      )
    }
    const parsed = schema.safeParse(rawArgs)
    if (!parsed.success) {
      // Named as the person knows them: "Cannot add the model: Folder: …", not "addModel: 0: …".
      throw new StepwiseError(
        'invalid-argument',
        describeZodError(OPERATION_LABELS[operation], parsed.error, (path) =>
          argumentLabel(operation, path)
        )
      )
    }
    const method = api[operation] as (...args: unknown[]) => Promise<unknown>
    const value = await method.apply(api, parsed.data)
    return { ok: true, value }
  } catch (error) {
    return { ok: false, error: toErrorPayload(error) }
  }
}
