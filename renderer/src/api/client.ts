import type { StepwiseApi } from '../../../shared/contract'
import { StepwiseError } from '../../../shared/errors'
import { createElectronClient } from './electron-client'
import { createWebSocketClient } from './ws-client'
import type { ConnectionAware } from './ws-client'

/**
 * Picks the transport: the preload bridge inside Electron, otherwise the WebSocket of the
 * browser-mode server that served this page (the token comes from the page URL).
 */
export function connectApi(): StepwiseApi & Partial<ConnectionAware> {
  if (window.stepwise !== undefined) return createElectronClient(window.stepwise)
  const token = new URL(window.location.href).searchParams.get('token')
  if (token === null) {
    throw new StepwiseError('forbidden', 'Open Stepwise with the URL printed by `npm run web`.')
  }
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  return createWebSocketClient(
    `${scheme}//${window.location.host}/rpc?token=${encodeURIComponent(token)}`,
    window.location.href
  )
}
