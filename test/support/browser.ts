/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard in a real Chromium for a test: the page built fresh into a temporary folder,
// one browser per test file (closed at teardown, so no Chromium outlives the test), and pages
// that record what must never happen (a dialog, a CSP violation, a script error).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page, Response } from 'playwright-core'
import { buildDashboard } from '../../scripts/build-dashboard.mjs'
import { launchChromium, type LaunchedBrowser } from '../../scripts/lib/browser.js'
import type { TestLike } from '../helper.js'

/** Builds the dashboard into a temporary folder (removed at teardown); resolves the folder. */
export async function builtDashboard(t: TestLike): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kismet-ws-dashboard-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  await buildDashboard({ outdir: dir })
  return dir
}

export async function startChromium(t: TestLike): Promise<LaunchedBrowser> {
  const chromium = await launchChromium()
  t.teardown(() => chromium.close())
  return chromium
}

export interface WatchedPage {
  page: Page
  /** The answer to the page's own request. */
  response: Response | null
  /** Dialogs opened (alert(), confirm()...), CSP violations, uncaught errors and console errors. */
  incidents: string[]
}

/** A page in a fresh context that records incidents from its first script on. */
export async function openPage(t: TestLike, chromium: LaunchedBrowser, url: string): Promise<WatchedPage> {
  const context = await chromium.newContext()
  t.teardown(() => context.close())
  const page = await context.newPage()
  const incidents: string[] = []
  page.on('dialog', (dialog) => {
    incidents.push(`dialog ${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  page.on('pageerror', (error) => incidents.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') incidents.push(`console error: ${message.text()}`)
  })
  // Init scripts are injected by the browser itself, so the page's CSP does not apply to them.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  const response = await page.goto(url)
  return { page, response, incidents }
}

/** The visible rows' text, one array of cell texts per row, top to bottom. */
export async function visibleRows(page: Page): Promise<string[][]> {
  return page.$$eval('.row:not([hidden])', (rows) =>
    rows
      .map((row) => ({ y: new DOMMatrix(getComputedStyle(row).transform).m42, cells: [...row.querySelectorAll('.cell')].map((cell) => cell.textContent ?? '') }))
      .sort((a, b) => a.y - b.y)
      .map((row) => row.cells),
  )
}

/** Waits until the visible rows' names (first column) are exactly `names`, in any order. */
export async function waitForNames(page: Page, names: string[], timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(
      (expected) => {
        const shown = [...document.querySelectorAll('.row:not([hidden]) .c-name')].map((cell) => cell.textContent ?? '').sort()
        return JSON.stringify(shown) === JSON.stringify([...expected].sort())
      },
      names,
      { timeout: timeoutMs, polling: 'raf' },
    )
  } catch (error) {
    const shown = (await visibleRows(page).catch(() => [])).map((cells) => cells[0])
    const link = await page.locator('.link').textContent().catch(() => '?')
    throw new Error(`the table did not show ${JSON.stringify(names)}: it shows ${JSON.stringify(shown)} (link: ${link}); ${(error as Error).message}`)
  }
}

/** Waits until the visible rows' names (first column) are `names`, top to bottom. */
export async function waitForOrder(page: Page, names: string[], timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(
      (expected) => {
        const rows = [...document.querySelectorAll('.row:not([hidden])')]
          .map((row) => ({ y: new DOMMatrix(getComputedStyle(row).transform).m42, name: row.querySelector('.c-name')?.textContent ?? '' }))
          .sort((a, b) => a.y - b.y)
        return JSON.stringify(rows.map((r) => r.name)) === JSON.stringify(expected)
      },
      names,
      { timeout: timeoutMs, polling: 'raf' },
    )
  } catch (error) {
    const shown = (await visibleRows(page).catch(() => [])).map((cells) => cells[0])
    throw new Error(`the table did not show ${JSON.stringify(names)} in that order: it shows ${JSON.stringify(shown)}; ${(error as Error).message}`)
  }
}

/** The row whose name cell reads exactly `name`. */
export function rowNamed(page: Page, name: string) {
  return page.locator('.row:not([hidden])').filter({ has: page.locator('.c-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) })
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
