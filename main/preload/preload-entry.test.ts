import { beforeAll, describe, expect, it, vi } from 'vitest'
import { OPERATION_NAMES } from '../../shared/channels'

/**
 * The preload entry as Electron loads it, with Electron's two preload modules replaced by
 * recorders: what it hands to `contextBridge.exposeInMainWorld` is everything the page can
 * reach. (The Electron e2e test checks the same from inside a real window.)
 */
const exposed: Array<{ key: string; api: unknown }> = []
const ipcCalls: string[] = []

vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: unknown) => exposed.push({ key, api })
  },
  ipcRenderer: {
    invoke: async (channel: string) => {
      ipcCalls.push(`invoke ${channel}`)
      return { ok: true, value: null }
    },
    on: (channel: string) => ipcCalls.push(`on ${channel}`),
    send: (channel: string) => ipcCalls.push(`send ${channel}`)
  },
  webUtils: { getPathForFile: (file: { name: string }) => `/dropped/${file.name}` }
}))

beforeAll(async () => {
  await import('./index')
})

describe('the preload entry (main/preload/index.ts)', () => {
  it('exposes exactly one object, window.stepwise: the operations, onEvent and pathForFile', () => {
    expect(exposed.map((e) => e.key)).toEqual(['stepwise'])
    const api = exposed[0]?.api as Record<string, unknown>
    // pathForFile is Electron's webUtils.getPathForFile: it answers only for a File the user
    // dropped or picked, so the page cannot name paths of its own.
    expect(Object.keys(api).sort()).toEqual([...OPERATION_NAMES, 'onEvent', 'pathForFile'].sort())
    for (const [name, value] of Object.entries(api)) expect(typeof value, name).toBe('function')
    expect(Object.isFrozen(api)).toBe(true)
  })

  it('gives the page no raw IPC, no Node and no Electron object', () => {
    const api = exposed[0]?.api as Record<string, unknown>
    for (const name of ['ipcRenderer', 'invoke', 'send', 'on', 'require', 'process', 'Buffer']) {
      expect(name in api, name).toBe(false)
    }
    // Only the event subscription was registered on load; nothing was sent or invoked.
    expect(ipcCalls).toEqual(['on stepwise:event'])
  })
})
