import type { OperationName } from '../../shared/channels'
import type { StepwiseOperations } from '../../shared/contract'
import type { Envelope } from '../../shared/errors'
import { dispatch } from '../rpc/dispatch'
import type { SenderFrame } from './sender-check'
import { senderAllowed } from './sender-check'

/**
 * One IPC call as main handles it, without Electron (so it is tested as is): the sender must be
 * the app's own top-level frame (checklist item 17), then {@link dispatch} validates the payload
 * against the operation's schema before the API sees it. A refused sender gets `forbidden` and
 * the API is not called.
 */
export async function handleIpcCall(
  api: StepwiseOperations,
  isTrustedSender: (url: string) => boolean,
  operation: OperationName,
  senderFrame: SenderFrame | null | undefined,
  args: unknown[]
): Promise<Envelope<unknown>> {
  if (!senderAllowed(senderFrame, isTrustedSender)) {
    return {
      ok: false,
      error: { code: 'forbidden', message: 'IPC refused: the sender is not a Stepwise window' }
    }
  }
  return dispatch(api, operation, args)
}
