/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// npm run screenshot: the README's picture of the dashboard (docs/dashboard.png), made with
// the browser tests' tooling: the page built fresh, the real service reading two simulated
// Kismet servers, Debian's Chromium through playwright-core.
//
// Time on the service side is a ManualClock, so five minutes of life (devices heard, drifting,
// arriving and leaving, alerts) run in a few seconds before the page opens, and the detail
// pane has a full signal trend to show. Same seed, same picture.
//
//   npm run screenshot [-- --out docs/dashboard.png] [-- --width 1440 --height 860]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import app from '../app.js'
import { ManualClock } from '../src/clock.js'
import { KismetSimulator } from '../sim/simulator.js'
import { buildDashboard } from './build-dashboard.mjs'
import { launchChromium } from './lib/browser.js'

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/dashboard.png' }, width: { type: 'string', default: '1440' }, height: { type: 'string', default: '860' } },
})
const out = resolve(values.out ?? 'docs/dashboard.png')
const API_KEY = '0123456789ABCDEF0123456789ABCDEF'
const HOUR = 3_600_000
const CYCLE_MS = 2_000

const dir = mkdtempSync(join(tmpdir(), 'kismet-ws-screenshot-'))
const clock = new ManualClock(Date.UTC(2026, 10, 14, 9, 30))
const sims = {
  north: new KismetSimulator({ apiKey: API_KEY, seed: 21, devices: 70, serverName: 'north', clock: () => clock.now(), location: { lat: 52.5163, lon: 13.3777 } }),
  south: new KismetSimulator({ apiKey: API_KEY, seed: 22, devices: 45, serverName: 'south', clock: () => clock.now() }),
}
const service = Fastify({ logger: false, forceCloseConnections: true })
const chromium = await launchChromium()
try {
  await buildDashboard({ outdir: dir })
  const sensors = []
  for (const [name, sim] of Object.entries(sims)) sensors.push({ name, url: await sim.listen(), apiKey: API_KEY })
  sims.north.addDevice({ type: 'Wi-Fi AP', ssid: '<img src=x onerror=alert(1)>', signal: -67, channel: '44' })
  await service.register(app, {
    clock,
    dashboard: { dir },
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      KISMET_SENSORS: JSON.stringify(sensors),
      POLL_INTERVAL_MS: String(HOUR),
      HEARTBEAT_INTERVAL_MS: String(HOUR),
      RETRY_DELAY_MS: String(HOUR),
    },
  })
  await service.ready()
  const url = await service.listen({ port: 0, host: '127.0.0.1' })
  const cycle = async (life: boolean) => {
    clock.advance(CYCLE_MS)
    if (life) for (const sim of Object.values(sims)) sim.tick({ heard: 0.7, join: 0.08, leave: 0.03, alert: 0.03 })
    await Promise.all(service.sensors.all().map((pipeline) => pipeline.poller.runCycle()))
    clock.advance(1_000)
  }
  // Five minutes of life before anyone looks.
  for (let i = 0; i < 150; i++) await cycle(true)

  const width = Number(values.width)
  const height = Number(values.height)
  const context = await chromium.newContext({ width, height })
  const page = await context.newPage()
  await page.goto(url)
  await page.locator('.link[data-state="live"]').waitFor()
  await page.waitForFunction(() => document.querySelectorAll('.row:not([hidden])').length > 10)
  await page.locator('.sensor[data-sensor="south"][data-state="connected"]').waitFor()
  // The strongest access point of the north sensor, with its trend.
  await page.locator('.row:not([hidden])[data-type="AP"]').first().click()
  await page.locator('.detail[data-history="loaded"]').waitFor()
  for (let i = 0; i < 3; i++) await cycle(true)
  sims.north.raiseAlert({ header: 'DEAUTHFLOOD' })
  await cycle(false)
  await page.locator('.feed .alert').first().waitFor()
  // The order follows the values within a moment (the table reorders at most every 300 ms).
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('.row:not([hidden])')]
      .map((row) => ({ y: new DOMMatrix(getComputedStyle(row).transform).m42, signal: Number(row.querySelector('.c-signal')?.textContent) }))
      .sort((a, b) => a.y - b.y)
    return rows.every((row, i) => i === 0 || !(row.signal > rows[i - 1]!.signal))
  })
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
  await page.screenshot({ path: out })
  console.log(`screenshot: ${out} (${width}x${height})`)
} finally {
  await chromium.close()
  await service.close()
  await Promise.all(Object.values(sims).map((sim) => sim.close()))
  rmSync(dir, { recursive: true, force: true })
}
