import { useEffect, useState } from 'react'
import type { RefObject } from 'react'

/**
 * Becomes true once the element has come near the viewport, and stays true. History thumbnails
 * use it so a long history fetches only the pictures someone scrolls to.
 */
export function useInView(ref: RefObject<Element | null>, margin = '200px'): boolean {
  // Without IntersectionObserver (not in Chromium or Electron, but cheap to allow) load at once.
  const [seen, setSeen] = useState(() => typeof IntersectionObserver === 'undefined')
  useEffect(() => {
    const element = ref.current
    if (element === null || seen) return
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true)
      },
      { rootMargin: margin }
    )
    observer.observe(element)
    return () => observer.disconnect()
  }, [ref, margin, seen])
  return seen
}
