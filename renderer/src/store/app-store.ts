import { create } from 'zustand'
import type { Capabilities, StepwiseApi } from '../../../shared/contract'

/** Connection-level state: which backend we talk to and what it can do. */
export interface AppState {
  api: StepwiseApi | null
  capabilities: Capabilities | null
  connectionError: string | null
  connect(api: StepwiseApi): Promise<void>
  fail(message: string): void
}

export const useAppStore = create<AppState>()((set) => ({
  api: null,
  capabilities: null,
  connectionError: null,
  async connect(api) {
    set({ api, connectionError: null })
    try {
      set({ capabilities: await api.getCapabilities() })
    } catch (error) {
      set({ connectionError: (error as Error).message })
    }
  },
  fail(message) {
    set({ connectionError: message })
  }
}))
