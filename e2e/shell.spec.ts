import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import type { Browser } from '@playwright/test'
import { version } from '../package.json'
import { startServer } from './fixtures/browser-server'
import type { ServerProcess } from './fixtures/browser-server'
import { launchChromium } from './fixtures/chromium'

const ARTIFACTS = join(__dirname, 'artifacts')

let server: ServerProcess
let browser: Browser

test.beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  server = await startServer()
  browser = await launchChromium()
})

test.afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

test('the shell renders the capabilities main reports over the WebSocket', async () => {
  const page = await browser.newPage()
  const cspViolations: string[] = []
  page.on('console', (msg) => {
    if (msg.text().includes('Content Security Policy')) cspViolations.push(msg.text())
  })
  await page.goto(server.url)
  await expect(page.getByTestId('app-version')).toHaveText(version)
  await expect(page.getByTestId('ort-version')).toHaveText(/^\d+\.\d+\.\d+/)
  await expect(page.getByTestId('app-mode')).toHaveText('browser')
  await expect(page.getByTestId('ep-cpu')).toHaveAttribute('data-available', 'true')
  await expect(page.getByTestId('ep-cpu')).toContainText('cpu: available')
  await page.screenshot({ path: join(ARTIFACTS, 'shell.png') })
  expect(cspViolations).toEqual([])
  await page.close()
})

test('the page is refused without the per-start token', async () => {
  const page = await browser.newPage()
  const response = await page.goto(server.origin + '/')
  expect(response?.status()).toBe(403)
  await page.close()
})
