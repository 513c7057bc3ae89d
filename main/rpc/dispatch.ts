import { isOperationName } from '../../shared/channels'
import { operationArgs } from '../../shared/contract'
import type { StepwiseOperations } from '../../shared/contract'
import type { Envelope } from '../../shared/errors'
import { StepwiseError, toErrorPayload } from '../../shared/errors'
import { describeZodError } from '../../shared/validation'

/**
 * Runs one operation for an untrusted caller: checks the operation name, validates the
 * arguments against the contract's schema, and returns an envelope (errors never throw across
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
    const parsed = operationArgs[operation].safeParse(rawArgs)
    if (!parsed.success) {
      throw new StepwiseError('invalid-argument', describeZodError(operation, parsed.error))
    }
    const method = api[operation] as (...args: unknown[]) => Promise<unknown>
    const value = await method.apply(api, parsed.data)
    return { ok: true, value }
  } catch (error) {
    return { ok: false, error: toErrorPayload(error) }
  }
}
