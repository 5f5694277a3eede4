/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard in Debian's Chromium (playwright-core), against the real service and the
// Kismet simulator. Time on the service side is a ManualClock: each step runs a poll cycle and
// moves time so the throttle and the batches go out; the test then waits for the page to show
// it (DOM conditions, never timers).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ManualClock } from '../../src/clock.js'
import { KismetSimulator } from '../../sim/simulator.js'
import { displayName } from '../../dashboard/src/format.js'
import { buildApp, TEST_API_KEY, testEnv } from '../helper.js'
import { builtDashboard, openPage, rowNamed, startChromium, waitForNames, waitForOrder } from '../support/browser.js'
import { startPipeline, type Pipeline } from '../support/pipeline.js'

const HOSTILE = '<img src=x onerror=alert(1)>'
const HOUR = 3_600_000

const dir = await builtDashboard(t)
const chromium = await startChromium(t)

/** One poll cycle, then time for the throttle's trailing edges and the batches to go out. */
async function step(pipe: Pipeline): Promise<void> {
  await pipe.cycle()
  pipe.advance(1_000)
}

/** Resolves once every Socket.IO client of `app` is on the websocket transport. */
async function onWebsocket(app: FastifyInstance): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const sockets = [...app.io.of('/').sockets.values()]
    if (sockets.length > 0 && sockets.every((s) => s.conn.transport.name === 'websocket')) return true
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return false
}

t.test('devices arrive, change and leave; search, sort, detail, alerts; hostile text stays text', async (t) => {
  const pipe = await startPipeline(t, { sim: { devices: 0 }, app: { dashboard: { dir } }, env: { DEVICE_TTL_S: '60' } })
  const lobby = pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Cafe-Lobby', signal: -50, channel: '6' })
  await step(pipe)

  const { page, response, incidents } = await openPage(t, chromium, pipe.url)
  t.match(response?.headers()['content-security-policy'], /script-src 'self'/, 'the page is served with its CSP')
  await waitForNames(page, ['Cafe-Lobby'])
  t.pass('the snapshot fills the table')
  await page.locator('.link[data-state="live"]').waitFor()
  await page.locator('.sensor[data-sensor="default"][data-state="connected"]').waitFor()
  t.ok(await onWebsocket(pipe.app), 'the page upgraded to the websocket transport (allowed by its CSP)')

  // Arrive.
  const hostile = pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: HOSTILE, signal: -70, channel: '36' })
  const library = pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Cafe-Library', signal: -60, channel: '11' })
  const phone = pipe.sim.addDevice({ type: 'Wi-Fi Client', signal: -80, probedSsid: null })
  await step(pipe)
  const phoneName = displayName(pipe.pipeline.tracker.get(phone.key)!)
  await waitForNames(page, ['Cafe-Lobby', HOSTILE, 'Cafe-Library', phoneName])
  t.pass('new devices appear')
  await waitForOrder(page, ['Cafe-Lobby', 'Cafe-Library', HOSTILE, phoneName])
  t.pass('sorted by signal, strongest first')
  await page.locator('.chip.type[data-label="AP"] b', { hasText: /^3$/ }).waitFor()
  await page.locator('.chip.band[data-label="5 GHz"] b', { hasText: /^1$/ }).waitFor()
  t.pass('counts by type and band')

  // Hostile text is text.
  t.equal(await rowNamed(page, HOSTILE).locator('.c-name').textContent(), HOSTILE, 'the SSID shows as its characters')
  t.equal(await page.locator('img').count(), 0, 'no element was made of it')

  // Change: a rename, and a signal.
  pipe.sim.updateDevice(library.key, { ssid: 'Cafe-Library-2', name: 'Cafe-Library-2', commonname: 'Cafe-Library-2' })
  pipe.sim.touchDevice(lobby.key, { signal: -31 })
  await step(pipe)
  await waitForNames(page, ['Cafe-Lobby', HOSTILE, 'Cafe-Library-2', phoneName])
  await rowNamed(page, 'Cafe-Lobby').locator('.c-signal', { hasText: /^-31$/ }).waitFor()
  t.pass('a rename and a signal change show in place')

  // Search narrows the table, and the counts with it.
  await page.fill('#search', 'cafe')
  await waitForNames(page, ['Cafe-Lobby', 'Cafe-Library-2'])
  await page.locator('.counts .shown', { hasText: '2 of 4 devices' }).waitFor()
  await page.fill('#search', 'library cafe')
  await waitForNames(page, ['Cafe-Library-2'])
  await page.fill('#search', 'no-such-thing')
  await waitForNames(page, [])
  await page.locator('.empty', { hasText: 'No device matches “no-such-thing”' }).waitFor()
  await page.fill('#search', '')
  await waitForNames(page, ['Cafe-Lobby', HOSTILE, 'Cafe-Library-2', phoneName])
  t.pass('the search narrows the table and widens it again')

  // Sort by another column, both ways.
  const byName = [HOSTILE, 'Cafe-Library-2', 'Cafe-Lobby', phoneName].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
  await page.click('.th.c-name')
  await waitForOrder(page, byName)
  await page.locator('.th.c-name[aria-sort="ascending"]').waitFor()
  await page.click('.th.c-name')
  await waitForOrder(page, [...byName].reverse())
  await page.locator('.th.c-name[aria-sort="descending"]').waitFor()
  t.pass('sorted by name, both ways')
  await page.click('.th.c-signal')
  await waitForOrder(page, ['Cafe-Lobby', 'Cafe-Library-2', HOSTILE, phoneName])

  // The detail pane: fields, history from the service, then live samples.
  await rowNamed(page, HOSTILE).click()
  await page.locator('.detail h2').filter({ hasText: HOSTILE }).waitFor()
  t.equal(await page.locator('.detail dd[data-field="ssid"]').textContent(), HOSTILE, 'hostile text in the detail pane is text too')
  await rowNamed(page, 'Cafe-Lobby').click()
  await page.locator('.detail[data-history="loaded"] h2', { hasText: 'Cafe-Lobby' }).waitFor()
  const loaded = Number(await page.locator('.detail').getAttribute('data-samples'))
  t.ok(loaded >= 1, `the service's history is drawn (${loaded} samples)`)
  pipe.advance(5_000)
  pipe.sim.touchDevice(lobby.key, { signal: -44 })
  await step(pipe)
  await page.locator('.detail dd[data-field="signal"]', { hasText: '-44 dBm' }).waitFor()
  await page.waitForFunction((n) => Number(document.querySelector('.detail')?.getAttribute('data-samples')) === n + 1, loaded)
  t.pass('a live signal is added to the trend')

  // Alerts, with hostile text in them.
  pipe.sim.raiseAlert({ header: 'APSPOOF', text: `Unauthorized device advertising ${HOSTILE}` })
  await step(pipe)
  await page.locator('.feed .alert-title', { hasText: 'APSPOOF' }).waitFor()
  t.equal(await page.locator('.feed .alert-message').first().textContent(), `Unauthorized device advertising ${HOSTILE}`)

  // Leave: Kismet forgets the phone; the service removes it DEVICE_TTL_S after it was last heard.
  pipe.sim.removeDevice(phone.key)
  pipe.advance(40_000)
  for (const key of [lobby.key, hostile.key, library.key]) pipe.sim.touchDevice(key)
  await step(pipe)
  pipe.advance(25_000)
  await step(pipe)
  await waitForNames(page, ['Cafe-Lobby', HOSTILE, 'Cafe-Library-2'])
  t.pass('a device that left leaves the table')
  await page.locator('.counts .shown', { hasText: /^3 devices$/ }).waitFor()

  t.equal(await page.locator('img').count(), 0, 'still no element made of hostile text')
  t.same(incidents, [], 'no dialog, no CSP violation, no script error')
})

t.test('the page recovers after the service restarts', async (t) => {
  const pipe = await startPipeline(t, { sim: { devices: 0 }, app: { dashboard: { dir } } })
  pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Before-Restart' })
  pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Stays-Around', mac: '02:00:00:00:00:01' })
  await step(pipe)
  const { page, incidents } = await openPage(t, chromium, pipe.url)
  await waitForNames(page, ['Before-Restart', 'Stays-Around'])
  const port = Number(new URL(pipe.url).port)

  await pipe.app.close()
  await page.locator('.link[data-state="reconnecting"], .link[data-state="stopping"]').waitFor()
  t.pass('the page shows it lost the service')
  await waitForNames(page, ['Before-Restart', 'Stays-Around'])
  t.pass('and keeps what it had meanwhile')

  // The service comes back on the same port; its Kismet now has other devices.
  const clock = new ManualClock()
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, seed: 3, clock: () => clock.now() })
  sim.addDevice({ type: 'Wi-Fi AP', ssid: 'After-Restart' })
  sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Stays-Around', mac: '02:00:00:00:00:01' })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const app = await buildApp(t, {
    clock,
    dashboard: { dir },
    env: testEnv({ KISMET_ENABLED: 'true', KISMET_API_URL: simUrl, KISMET_API_KEY: TEST_API_KEY, POLL_INTERVAL_MS: String(HOUR), HEARTBEAT_INTERVAL_MS: String(HOUR) }),
  })
  await app.sensors.get('default')!.poller.runCycle()
  await app.listen({ port, host: '127.0.0.1' })
  clock.advance(1_000)

  await page.locator('.link[data-state="live"]').waitFor({ timeout: 15_000 })
  await waitForNames(page, ['After-Restart', 'Stays-Around'])
  t.pass('reconnected: the new snapshot replaces what the old service had sent')
  sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Later' })
  await app.sensors.get('default')!.poller.runCycle()
  clock.advance(1_000)
  await waitForNames(page, ['After-Restart', 'Stays-Around', 'Later'])
  t.pass('and live again')
  t.same(
    incidents.filter((i) => !/Failed to load resource|WebSocket connection to .* failed|ERR_CONNECTION_REFUSED/.test(i)),
    [],
    'nothing but the refused connections of the outage',
  )
})

t.test('with API_TOKEN the page asks for the token and keeps it for the tab only', async (t) => {
  const TOKEN = 'dashboard-token-4242'
  // CORS_ORIGIN names another origin: the page, served by the service itself, connects anyway.
  const pipe = await startPipeline(t, { sim: { devices: 0 }, app: { dashboard: { dir } }, env: { API_TOKEN: TOKEN, CORS_ORIGIN: 'https://map.example' } })
  pipe.sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Behind-Token' })
  await step(pipe)

  for (const path of ['/', '/app.js', '/style.css']) t.equal((await fetch(`${pipe.url}${path}`)).status, 200, `${path} needs no token`)
  t.equal((await fetch(`${pipe.url}/api/kismet/ws/status`)).status, 401, 'the API does')

  const { page, incidents } = await openPage(t, chromium, pipe.url)
  await page.locator('#token:not([hidden])').waitFor()
  await page.locator('.link[data-state="token"]').waitFor()
  t.match(await page.locator('#token-message').textContent(), /needs its API token/)

  await page.fill('#token-input', 'not-the-token')
  await page.click('#token-form button[type="submit"]')
  await page.locator('#token-message', { hasText: 'That token was refused' }).waitFor()
  t.equal(await page.locator('#token').isVisible(), true, 'a wrong token: asked again')

  await page.fill('#token-input', TOKEN)
  await page.press('#token-input', 'Enter')
  await waitForNames(page, ['Behind-Token'])
  await page.locator('.link[data-state="live"]').waitFor()
  t.equal(await page.locator('#token').isVisible(), false)
  t.equal(await page.evaluate(() => sessionStorage.getItem('kismet-ws.token')), TOKEN, 'kept in sessionStorage')
  t.equal(await page.evaluate(() => localStorage.length), 0, 'not in localStorage')
  t.same(await page.context().cookies(), [], 'not in a cookie')

  await page.reload()
  await waitForNames(page, ['Behind-Token'])
  t.equal(await page.locator('#token').isVisible(), false, 'a reload of the tab keeps it')

  const otherTab = await page.context().newPage()
  await otherTab.goto(pipe.url)
  await otherTab.locator('#token:not([hidden])').waitFor()
  t.pass('another tab does not have it')
  await otherTab.close()

  await page.click('#forget-token')
  await page.locator('#token:not([hidden])').waitFor()
  t.equal(await page.evaluate(() => sessionStorage.getItem('kismet-ws.token')), null, 'forgotten on request')
  t.same(incidents.filter((i) => !/401 \(Unauthorized\)/.test(i)), [], 'nothing but the refused requests')
})
