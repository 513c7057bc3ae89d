import { create } from 'zustand'
import type { HistoryEntry } from '../contract'
import { forgetHistoryImages } from '../lib/history-images'
import { useAppStore } from './app-store'
import { messageOf, useNoticeStore } from './notice-store'

/** Stored results. */
export interface HistoryState {
  entries: HistoryEntry[]
  /** A problem main found when loading the history (e.g. an unreadable index kept aside). */
  notice: string | null
  /** Why the history could not be read; shown in the history pane, not as a global error. */
  error: string | null
  loaded: boolean
  /** The entry open in the detail view. */
  selectedId: string | null
  refresh(): Promise<void>
  select(id: string | null): void
  /** Opens entry `id`, or closes it when it is the one open. */
  toggleSelected(id: string): void
  /** Deletes an entry (the UI asks for confirmation first). */
  remove(id: string): Promise<void>
}

/** Newest first, as people expect of a history. */
function newestFirst(entries: HistoryEntry[]): HistoryEntry[] {
  return [...entries].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

/** The history store. */
export const useHistoryStore = create<HistoryState>()((set, get) => ({
  entries: [],
  notice: null,
  error: null,
  loaded: false,
  selectedId: null,
  async refresh() {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      const listing = await api.historyList()
      const entries = newestFirst(listing.entries)
      const selectedId = get().selectedId
      set({
        entries,
        notice: listing.notice,
        error: null,
        loaded: true,
        selectedId: entries.some((e) => e.id === selectedId) ? selectedId : null
      })
    } catch (error) {
      set({ error: messageOf(error) })
    }
  },
  select(id) {
    set({ selectedId: id })
  },
  toggleSelected(id) {
    set((s) => ({ selectedId: s.selectedId === id ? null : id }))
  },
  async remove(id) {
    const api = useAppStore.getState().api
    if (api === null) return
    try {
      await api.historyDelete(id)
      forgetHistoryImages(id)
      set((s) => ({
        entries: s.entries.filter((e) => e.id !== id),
        selectedId: s.selectedId === id ? null : s.selectedId
      }))
    } catch (error) {
      useNoticeStore.getState().showError(messageOf(error))
    }
  }
}))
