// The eventbus connection as one sensor's pipeline owns it (src/kismet/eventbus.ts), against
// the simulator over a real websocket, ManualClock: the REST credential goes on the upgrade
// (API key cookie, HTTP Basic, a login written into the URL), a refusal is logged once and
// clearly at the level its mode asks for, and no secret reaches a log line.
import t, { type Test } from 'tap'
import { ManualClock } from '../../src/clock.js'
import { EnvelopeFactory } from '../../src/envelope.js'
import { EVENTBUS_REFUSED_RETRY_MS, type EventbusMode } from '../../src/kismet/eventbus.js'
import type { KismetCredential } from '../../src/kismet/transport.js'
import { createPipeline, type Pipeline } from '../../src/pipeline.js'
import { ServiceStats } from '../../src/stats.js'
import { KismetSimulator, type SimulatorOptions } from '../../sim/simulator.js'
import { until } from '../support/pipeline.js'

const HOUR = 3_600_000
const API_KEY = 'C0FFEE00C0FFEE00C0FFEE00C0FFEE00'
const PASSWORD = 'pa$$-w0rd/with:odd&chars'

interface Logged {
  level: string
  line: string
}

async function setup(t: Test, options: { sim?: SimulatorOptions; credential?: KismetCredential; mode?: EventbusMode; userInUrl?: boolean } = {}) {
  const clock = new ManualClock()
  const sim = new KismetSimulator({ devices: 1, clock: () => clock.now(), timers: clock, ...options.sim })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const logged: Logged[] = []
  const log = Object.fromEntries(
    ['debug', 'info', 'warn', 'error'].map((level) => [level, (obj: object, msg?: string) => logged.push({ level, line: `${msg ?? ''} ${JSON.stringify(obj)}` })]),
  ) as unknown as Parameters<typeof createPipeline>[0]['log']
  const stats = new ServiceStats()
  const baseUrl = options.userInUrl ? simUrl.replace('http://', `http://kismet:${encodeURIComponent(PASSWORD)}@`) : simUrl
  const pipeline: Pipeline = createPipeline({
    name: 'north',
    settings: {
      kismet: { baseUrl, timeoutMs: 2000, ...options.credential },
      poll: { enabled: true, pollIntervalMs: HOUR, heartbeatIntervalMs: HOUR, retryDelayMs: HOUR, maxRetries: 5, deviceTtlS: 300, gpsIntervalMs: 0 },
      throttle: {},
      eventbus: { mode: options.mode ?? 'auto', pollIntervalMs: 2 * HOUR },
    },
    clock,
    log,
    serviceStats: stats,
    factory: new EnvelopeFactory({ clock, stats }),
    publish: () => {},
    clients: () => 0,
  })
  t.teardown(() => pipeline.stop())
  pipeline.start()
  const connected = async () => {
    await until(() => sim.eventbusSubscribers('TIMESTAMP') > 0, 'the subscription')
    clock.advance(1000)
    await until(() => pipeline.eventbus.state === 'connected', 'the first TIMESTAMP')
  }
  return { clock, sim, pipeline, logged, connected }
}

function noSecret(t: Test, logged: Logged[], secrets: string[]): void {
  const leaks = logged.filter((entry) => secrets.some((secret) => entry.line.includes(secret) || entry.line.includes(encodeURIComponent(secret))))
  t.same(leaks, [], 'no secret in any log line')
}

t.test('the REST credential goes on the upgrade: API key cookie, HTTP Basic, a login in the URL', async (t) => {
  for (const [label, options] of [
    ['API key', { sim: { apiKey: API_KEY }, credential: { apiKey: API_KEY } }],
    ['Basic', { sim: { user: 'kismet', password: PASSWORD }, credential: { user: 'kismet', password: PASSWORD } }],
    ['login in the URL', { sim: { user: 'kismet', password: PASSWORD }, userInUrl: true }],
  ] as const) {
    const { pipeline, logged, connected } = await setup(t, options)
    await connected()
    t.pass(`${label}: connected`)
    t.notMatch(pipeline.eventbus.url, /kismet:|pa\$\$/, `${label}: the websocket URL carries no credential`)
    t.ok(logged.some((entry) => entry.level === 'info' && /eventbus is connected/.test(entry.line)), `${label}: said once it is connected`)
    noSecret(t, logged, [API_KEY, PASSWORD, Buffer.from(`kismet:${PASSWORD}`).toString('base64')])
    await pipeline.stop()
  }
})

t.test('a refusal in auto mode: one warning that says why and what happens, retried every 5 minutes', async (t) => {
  const { clock, sim, pipeline, logged } = await setup(t, { sim: { apiKey: API_KEY }, credential: { apiKey: API_KEY } })
  sim.setEventbusFault({ kind: 'refuse', status: 404 })
  await until(() => pipeline.eventbus.state === 'refused', 'the refusal')
  for (let i = 0; i < 3; i++) {
    const refusals = pipeline.eventbusStats.refusals
    clock.advance(EVENTBUS_REFUSED_RETRY_MS)
    await until(() => pipeline.eventbusStats.refusals > refusals, 'the next refusal')
  }
  const warnings = logged.filter((entry) => entry.level === 'warn' || entry.level === 'error')
  t.equal(warnings.length, 1, 'logged once for four refusals')
  t.match(warnings[0]?.line, /refused the websocket upgrade \(HTTP 404: this Kismet predates the eventbus .*Polling alone.*retrying the eventbus in 5 min.*KISMET_EVENTBUS=off/)
  t.match(warnings[0]?.line, /"north"/, 'it names the sensor')
  t.equal(pipeline.eventbusStats.refusals, 4)
  noSecret(t, logged, [API_KEY])
})

t.test('a refusal in on mode is an error, retried with the reconnection delay; a wrong key is refused at the upgrade too', async (t) => {
  const { clock, pipeline, logged } = await setup(t, { sim: { apiKey: API_KEY }, credential: { apiKey: 'BADBADBADBADBADBADBADBADBADBADBA' }, mode: 'on' })
  await until(() => pipeline.eventbus.state === 'refused', 'the refusal')
  const refusals = pipeline.eventbusStats.refusals
  clock.advance(1000)
  await until(() => pipeline.eventbusStats.refusals > refusals, 'the retry after 1 s')
  const errors = logged.filter((entry) => entry.level === 'error' && /eventbus/.test(entry.line))
  t.equal(errors.length, 1, 'one error line')
  t.match(errors[0]?.line, /HTTP 401: the credential is not accepted for the websocket/)
  t.notMatch(errors[0]?.line, /KISMET_EVENTBUS=off/, 'on mode: the eventbus is expected')
  noSecret(t, logged, [API_KEY, 'BADBADBADBADBADBADBADBADBADBADBA'])
})

t.test('lost connections are logged once per outage, not once per retry', async (t) => {
  const { clock, sim, pipeline, logged, connected } = await setup(t, { sim: { apiKey: API_KEY }, credential: { apiKey: API_KEY } })
  await connected()
  await sim.goDown()
  await until(() => pipeline.eventbus.state === 'reconnecting', 'the loss')
  const failed = () => logged.filter((entry) => entry.level === 'debug' && /eventbus reconnection failed/.test(entry.line)).length
  for (let i = 1; i <= 4; i++) {
    clock.advance(20_000)
    await until(() => failed() === i, `failed retry ${i}`)
  }
  t.equal(pipeline.eventbusStats.reconnects, 4)
  const lost = logged.filter((entry) => /eventbus is not available/.test(entry.line))
  t.equal(lost.length, 1, 'one warning for the outage')
  await sim.comeUp()
  clock.advance(20_000)
  await connected()
  t.ok(logged.some((entry) => /eventbus is back/.test(entry.line)), 'and one line when it is back')
})

t.test('behind a path prefix (httpd_uri_prefix, a proxy): the eventbus is under it too', async (t) => {
  const { pipeline, connected } = await setup(t, { sim: { apiKey: API_KEY, prefix: '/kismet' }, credential: { apiKey: API_KEY } })
  await connected()
  t.match(pipeline.eventbus.url, /^ws:\/\/127\.0\.0\.1:\d+\/kismet\/eventbus\/events\.ws$/)
})
