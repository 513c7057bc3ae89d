import { create } from 'zustand'
import type { ConnectionState } from '../api/ws-client'
import type { Capabilities, ModelSummary, StepwiseApi } from '../contract'

/** Connection-level state: which backend we talk to, what it can do, which models it has. */
export interface AppState {
  api: StepwiseApi | null
  capabilities: Capabilities | null
  models: ModelSummary[]
  /** Why the model list could not be read (the rest of the app still works). */
  modelsError: string | null
  connectionError: string | null
  /** Whether the server is reachable (browser mode; Electron's IPC is always connected). */
  connection: ConnectionState
  /** Remembers the API and asks it for capabilities and models. */
  connect(api: StepwiseApi): Promise<void>
  /** Re-reads the model list (e.g. after the models folder changed). */
  refreshModels(): Promise<void>
  fail(message: string): void
  setConnection(state: ConnectionState): void
}

/** The connection store. */
export const useAppStore = create<AppState>()((set, get) => ({
  api: null,
  capabilities: null,
  models: [],
  modelsError: null,
  connectionError: null,
  connection: 'connected',
  async connect(api) {
    set({ api, connectionError: null })
    try {
      set({ capabilities: await api.getCapabilities() })
    } catch (error) {
      set({ connectionError: (error as Error).message })
      return
    }
    await get().refreshModels()
  },
  async refreshModels() {
    const api = get().api
    if (api === null) return
    try {
      set({ models: await api.listModels(), modelsError: null })
    } catch (error) {
      set({ modelsError: (error as Error).message })
    }
  },
  fail(message) {
    set({ connectionError: message })
  },
  setConnection(connection) {
    set({ connection })
  }
}))

/** The model a first start opens: the one main names, else the first listed. */
export function defaultModel(
  state: Pick<AppState, 'capabilities' | 'models'>
): ModelSummary | null {
  const preferred = state.capabilities?.defaultModelId
  return state.models.find((m) => m.id === preferred) ?? state.models[0] ?? null
}
