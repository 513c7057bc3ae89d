import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { _electron as electron, expect, test } from '@playwright/test'
import type { Browser, ElectronApplication, Page } from '@playwright/test'
import { findElectronBinary } from '../scripts/electron-binary.cjs'
import { OPERATION_NAMES } from '../shared/channels'
import type { ServerProcess } from './fixtures/browser-server'
import {
  MODELS_DIR,
  expectNoCspViolations,
  expectStatus,
  fillForm,
  openApp,
  selectTestModel,
  startAppServer,
  tempDataDir
} from './fixtures/app-page'
import { launchChromium } from './fixtures/chromium'

/**
 * Electron's security checklist, checked from where an attacker stands: a web page in the
 * user's browser reaching for the local server, and (with an Electron binary) the app window's
 * real settings and page surface. Unit tests pin the same settings without a browser
 * (main/window-options.test.ts, main/security.test.ts, main/csp.test.ts,
 * main/server/browser-server-security.test.ts); see docs/security.md.
 */

test.describe('browser mode: another web page in the same browser', () => {
  let server: ServerProcess
  let browser: Browser
  let evil: Server
  let evilOrigin: string
  const data = tempDataDir()

  test.beforeAll(async () => {
    server = await startAppServer(data.dir)
    browser = await launchChromium()
    // A page of another origin on this machine, as a malicious site would be.
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      res.end('<!doctype html><title>elsewhere</title>')
    })
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
    evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
  })

  test.afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await new Promise((resolve) => evil.close(resolve))
    data.remove()
  })

  test('cannot open the API socket, even knowing the token, nor read the app page', async () => {
    const page = await browser.newPage()
    await page.goto(evilOrigin)
    const rpc = `ws://127.0.0.1:${new URL(server.url).port}/rpc?token=${server.token}`
    const socket = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url)
          ws.onopen = () => resolve('open')
          ws.onerror = () => resolve('refused')
        }),
      rpc
    )
    expect(socket).toBe('refused')
    const read = await page.evaluate(
      (url) =>
        fetch(url).then(
          (r) => r.text().then(() => 'read'),
          () => 'blocked'
        ),
      server.url
    )
    expect(read).toBe('blocked')
    await page.close()
  })

  test('the app page may not be framed, and runs a generation within its CSP', async () => {
    const page = await openApp(browser, server)
    const response = await page.request.get(server.url)
    expect(response.headers()['x-frame-options']).toBe('DENY')
    await fillForm(page, { prompt: 'a red circle', steps: '3', seed: '1' })
    await page.getByTestId('generate-button').click()
    await expectStatus(page, 'done')
    expectNoCspViolations(page)
    await page.close()
  })
})

const binary = findElectronBinary()

test.describe('Electron mode: the window as shipped', () => {
  test.skip('missing' in binary, 'skipped: no Electron binary')

  let app: ElectronApplication
  let page: Page
  const data = tempDataDir()

  test.beforeAll(async () => {
    if (!('path' in binary)) return
    app = await electron.launch({
      executablePath: binary.path,
      args: [join(__dirname, '..')],
      env: { ...process.env, STEPWISE_DATA_DIR: data.dir, STEPWISE_MODELS_DIR: MODELS_DIR }
    })
    page = await app.firstWindow()
  })

  test.afterAll(async () => {
    await app?.close()
    data.remove()
  })

  test('every window runs with the checklist web preferences', async () => {
    // getLastWebPreferences is undocumented (not in the typings) but is what Electron itself
    // reads; if a release drops it, this fails loudly rather than checking nothing.
    const all = await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows().map((w) => {
        const contents = w.webContents as unknown as {
          getLastWebPreferences?: () => Record<string, unknown> | null
        }
        return contents.getLastWebPreferences?.() ?? 'no getLastWebPreferences'
      })
    )
    expect(all.length).toBeGreaterThan(0)
    for (const prefs of all) {
      expect(prefs).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false
      })
      expect((prefs as Record<string, unknown>)['enableBlinkFeatures'] ?? '').toBe('')
    }
    // And as the page experiences it: <webview> is not a thing there.
    expect(await page.evaluate(() => document.createElement('webview').constructor.name)).toBe(
      'HTMLUnknownElement'
    )
  })

  test('the page sees window.stepwise only: no require, process, Buffer or raw IPC', async () => {
    const surface = await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>
      return {
        api: Object.keys(w['stepwise'] as object).sort(),
        require: typeof w['require'],
        process: typeof w['process'],
        buffer: typeof w['Buffer'],
        ipcRenderer: typeof w['ipcRenderer'],
        electron: typeof w['electron']
      }
    })
    expect(surface).toEqual({
      api: [...OPERATION_NAMES, 'onEvent', 'pathForFile'].sort(),
      require: 'undefined',
      process: 'undefined',
      buffer: 'undefined',
      ipcRenderer: 'undefined',
      electron: 'undefined'
    })
  })

  test('new windows, navigation away and permission requests are denied', async () => {
    const url = page.url()
    expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true)
    await page.evaluate(() => {
      window.location.href = 'https://example.com/'
    })
    await page.waitForTimeout(500)
    expect(page.url()).toBe(url)
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
    expect(await page.evaluate(() => Notification.requestPermission())).toBe('denied')
  })

  test('inference runs in a utility process of its own', async () => {
    await selectTestModel(page)
    await fillForm(page, { prompt: 'a red circle', steps: '3', seed: '1' })
    await page.getByTestId('generate-button').click()
    await expectStatus(page, 'done')
    const utility = await app.evaluate(({ app: electronApp }) =>
      electronApp
        .getAppMetrics()
        .filter((m) => m.type === 'Utility')
        .map((m) => m.serviceName ?? m.name ?? '')
    )
    expect(utility).toContain('Stepwise inference')
  })
})
