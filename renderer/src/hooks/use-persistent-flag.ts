import { useState } from 'react'

/** A boolean UI preference kept in localStorage (falls back to memory where storage is refused). */
export function usePersistentFlag(key: string, initial: boolean): [boolean, (v: boolean) => void] {
  const [value, setValue] = useState<boolean>(() => {
    try {
      const stored = localStorage.getItem(key)
      return stored === null ? initial : stored === 'true'
    } catch {
      return initial
    }
  })
  const set = (v: boolean): void => {
    setValue(v)
    try {
      localStorage.setItem(key, String(v))
    } catch {
      // Storage can be unavailable (private mode); the preference then lasts for this session.
    }
  }
  return [value, set]
}
