import { ipcMain } from 'electron'
import type { IpcMainInvokeEvent } from 'electron'
import { OPERATION_NAMES, channelFor } from '../../shared/channels'
import type { StepwiseOperations } from '../../shared/contract'
import { handleIpcCall } from './ipc-call'

/**
 * Registers one `ipcMain.handle` per contract operation; each checks the sender and validates
 * the payload through {@link handleIpcCall}.
 */
export function registerIpcHandlers(
  api: StepwiseOperations,
  isTrustedSender: (url: string) => boolean
): () => void {
  for (const operation of OPERATION_NAMES) {
    ipcMain.handle(channelFor(operation), (event: IpcMainInvokeEvent, ...args: unknown[]) =>
      handleIpcCall(api, isTrustedSender, operation, event.senderFrame, args)
    )
  }
  return () => {
    for (const operation of OPERATION_NAMES) ipcMain.removeHandler(channelFor(operation))
  }
}
