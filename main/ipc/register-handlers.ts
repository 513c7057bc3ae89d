import { ipcMain } from 'electron'
import type { IpcMainInvokeEvent } from 'electron'
import { OPERATION_NAMES, channelFor } from '../../shared/channels'
import type { StepwiseOperations } from '../../shared/contract'
import { dispatch } from '../rpc/dispatch'
import { senderAllowed } from './sender-check'

/**
 * Registers one `ipcMain.handle` per contract operation. Each handler first checks that the
 * sender is the app's own top-level frame (checklist item 17), then validates the payload
 * through {@link dispatch}.
 */
export function registerIpcHandlers(
  api: StepwiseOperations,
  isTrustedSender: (url: string) => boolean
): () => void {
  for (const operation of OPERATION_NAMES) {
    ipcMain.handle(channelFor(operation), async (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!senderAllowed(event.senderFrame, isTrustedSender)) {
        return {
          ok: false,
          error: { code: 'forbidden', message: 'IPC refused: the sender is not a Stepwise window' }
        }
      }
      return dispatch(api, operation, args)
    })
  }
  return () => {
    for (const operation of OPERATION_NAMES) ipcMain.removeHandler(channelFor(operation))
  }
}
