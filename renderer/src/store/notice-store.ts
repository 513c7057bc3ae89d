import { create } from 'zustand'

/** The one error the UI shows at a time, with the specific message from where it came. */
export interface NoticeState {
  error: string | null
  showError(message: string): void
  clearError(): void
}

/** Errors shown in the `error-message` banner. */
export const useNoticeStore = create<NoticeState>()((set) => ({
  error: null,
  showError(message) {
    set({ error: message })
  },
  clearError() {
    set({ error: null })
  }
}))

/** The message of whatever was thrown; StepwiseError messages are the engine's own words. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
