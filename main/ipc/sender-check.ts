/** The part of Electron's `WebFrameMain` the sender check reads. */
export interface SenderFrame {
  url: string
  parent: unknown
}

/**
 * May this frame call main? Only the top-level frame of an app window showing one of the app's
 * own pages (Electron security checklist item 17): not a subframe, not a page the window was
 * somehow navigated to, not a frame that is already gone (null).
 */
export function senderAllowed(
  frame: SenderFrame | null | undefined,
  isTrustedUrl: (url: string) => boolean
): boolean {
  return frame !== null && frame !== undefined && frame.parent === null && isTrustedUrl(frame.url)
}
