// Debian's Chromium driven by playwright-core, started the way this machine needs it (browser
// downloads are impossible here, and Chromium's background connections would be refused by
// the closed network): the browser tests, the dashboard benchmark and the README's screenshot
// all start it here.
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext } from 'playwright-core'

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'

// Headless, and a fresh temporary profile removed at close, are playwright's own doing.
const FLAGS = [
  '--no-sandbox', // root in CI and in containers
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--metrics-recording-only',
  '--mute-audio',
]

export interface LaunchedBrowser {
  browser: Browser
  /** A fresh context (own cookies and storage): a new browser window as far as the page can tell. */
  newContext(options?: { width?: number; height?: number }): Promise<BrowserContext>
  /** Closes the browser (its processes end, its profile is removed); idempotent. */
  close(): Promise<void>
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`)
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, timeout: 30_000 })
  let closed: Promise<void> | undefined
  return {
    browser,
    newContext: ({ width = 1280, height = 800 } = {}) => browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 }),
    close() {
      closed ??= browser.close()
      return closed
    },
  }
}
