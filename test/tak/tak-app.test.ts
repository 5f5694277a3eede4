// TAK through the whole service: a simulated Kismet with a GPS, the real app on a real port,
// time under the test's control. Every geolocated access point reaches a local UDP listener
// and a local TCP listener as one well-formed CoT event at the position Kismet reports, again
// once per refresh; the sensor's own marker too; Socket.IO clients of `tak` get each event as
// `tak:cot` and each output's `tak:status`; /status, /stats and /metrics report it. A bad TAK
// variable stops the start with one line naming it.
import t from 'tap'
import type { AnyEnvelope, Envelope, SubscribeOptions, Topic } from '../../src/events.js'
import { ConfigError } from '../../src/config.js'
import { isLocallyAdministered } from '../../src/tak/policy.js'
import type { SimDevice } from '../../sim/simulator.js'
import { buildApp, testEnv } from '../helper.js'
import { cotProblems, parseCot, splitStream } from '../support/cot.js'
import { startPipeline, startSensors } from '../support/pipeline.js'
import { envelopeErrors } from '../support/schemas.js'
import { createClient, EnvelopeRecorder, waitFor } from '../support/socket.js'
import { listenStream, listenUdp } from '../support/tak-listeners.js'

const AT = { lat: 38.8895, lon: -77.0353 }

/** What Kismet reports for a simulated device that should be on the map: an AP-like device heard with a fix, a manufacturer's MAC. */
function expectedOnMap(devices: SimDevice[]): Map<string, { lat: number; lon: number }> {
  const out = new Map<string, { lat: number; lon: number }>()
  for (const d of devices) {
    const place = d.peakLocation ?? d.location
    if (!place || !['Wi-Fi AP', 'Wi-Fi Ad-Hoc'].includes(d.type) || isLocallyAdministered(d.mac)) continue
    out.set(`kismet-wifi-${d.mac.replaceAll(':', '')}`, { lat: place.lat, lon: place.lon })
  }
  return out
}

async function subscribe(url: string, topics: Topic[], options?: SubscribeOptions) {
  const client = createClient(t, url)
  const recorder = new EnvelopeRecorder(client)
  await waitFor(client, 'connected')
  await new Promise((resolve) => (options ? client.emit('subscribe', topics, options, resolve) : client.emit('subscribe', topics, resolve)))
  return recorder
}

t.test('geolocated access points reach a UDP and a TCP TAK listener, and the tak topic, once per refresh', async (t) => {
  const udp = await listenUdp(t)
  const tcp = await listenStream(t)
  const p = await startPipeline(t, {
    sim: { devices: 60, location: AT },
    env: {
      TAK_UNICAST_ENABLED: 'true',
      TAK_UNICAST_HOST: '127.0.0.1',
      TAK_UNICAST_PORT: String(udp.port),
      TAK_TCP_ENABLED: 'true',
      TAK_TCP_HOST: '127.0.0.1',
      TAK_TCP_PORT: String(tcp.port),
    },
  })
  const recorder = await subscribe(p.url, ['tak'])
  await recorder.until((got) => got.filter((e) => e.type === 'tak:status').length >= 2)
  const connection = await tcp.connection(0)

  await p.cycle()
  p.advance(1000)
  const expected = expectedOnMap(p.sim.devices())
  t.ok(expected.size >= 8, `${expected.size} access points with a location`)
  const total = expected.size + 1 // and the sensor
  const datagrams = (await udp.until(total)).map((d) => d.toString('utf8'))
  const byUid = new Map(datagrams.map((xml) => [parseCot(xml).event['uid']!, xml]))
  t.equal(datagrams.length, total, 'one datagram per marker')
  t.same(datagrams.flatMap((xml) => cotProblems(xml)), [], 'every datagram is one valid CoT event')
  for (const [uid, place] of expected) {
    const xml = byUid.get(uid)
    if (!t.ok(xml, `${uid} on the map`)) continue
    const { point } = parseCot(xml!)
    t.same([Number(point['lat']), Number(point['lon'])], [place.lat, place.lon], `${uid} at the position Kismet reports`)
  }
  const sensor = byUid.get('kismet-sensor-default')
  t.ok(sensor, "the sensor's own marker")
  t.match(sensor, 'lat="38.8895" lon="-77.0353"')

  const stream = await tcp.until(connection, (text) => splitStream(text).events.length >= total, 'the stream')
  t.same(new Set(splitStream(stream).events), new Set(datagrams), 'the TCP stream carries the same events, framed back to back')

  const cots = (await recorder.until((got) => got.filter((e) => e.type === 'tak:cot').length >= total)).filter((e): e is Envelope<'tak:cot'> => e.type === 'tak:cot')
  t.same(new Set(cots.map((e) => e.data.xml)), new Set(datagrams), 'tak:cot carries every event produced')
  t.ok(cots.every((e) => e.sensor === 'default'), 'tak:cot names its sensor')
  t.same(recorder.envelopes.flatMap((e) => envelopeErrors(e)), [], 'every envelope matches its schema')
  const ap = cots.find((e) => e.data.kind === 'device')!
  t.equal(p.pipeline.tracker.get(ap.data.deviceKey!)?.key, ap.data.deviceKey, 'deviceKey is the Kismet key of the device')

  // Nothing changes for a minute: each marker comes once more, at its refresh.
  udp.datagrams.length = 0
  p.advance(59_000)
  t.equal(udp.datagrams.length, 0, 'nothing before the refresh')
  p.advance(1000)
  const refreshed = (await udp.until(total)).map((d) => parseCot(d.toString('utf8')).event['uid'])
  t.equal(new Set(refreshed).size, total, 'every marker once per refresh')

  const statuses = recorder.envelopes.filter((e): e is Envelope<'tak:status'> => e.type === 'tak:status')
  t.ok(statuses.every((e) => !('sensor' in e)), 'tak:status is about an output, not a sensor: no sensor in its envelope')
  await recorder.until((got) => got.some((e) => e.type === 'tak:status' && e.data.output === 'tcp' && e.data.state === 'connected'))

  const status = (await p.app.inject('/api/kismet/ws/status')).json() as { data: { tak: { enabled: boolean; markers: { devices: number; sensors: number }; outputs: Array<{ output: string; state: string }> } } }
  t.match(status.data.tak, { enabled: true, markers: { devices: expected.size, sensors: 1 } })
  t.same(status.data.tak.outputs.map((o) => [o.output, o.state]), [['unicast', 'connected'], ['tcp', 'connected']])
  const stats = (await p.app.inject('/api/kismet/ws/stats')).json() as { data: { tak: { events: { device: number; sensor: number }; outputs: Array<{ output: string; sent: number }> }; events: { byType: Record<string, number> } } }
  t.equal(stats.data.tak.events.device, 2 * expected.size, 'two events per device so far')
  t.equal(stats.data.tak.events.sensor, 2)
  t.equal(stats.data.events.byType['tak:cot'], 2 * total, 'counted like every envelope')
  const metrics = (await p.app.inject('/metrics')).body
  t.match(metrics, new RegExp(`^kismet_ws_tak_events_total\\{kind="device"\\} ${2 * expected.size}$`, 'm'))
  t.match(metrics, /^kismet_ws_tak_output_state\{output="tcp",state="connected"\} 1$/m)
  t.match(metrics, new RegExp(`^kismet_ws_tak_output_sent_total\\{output="unicast"\\} ${2 * total}$`, 'm'))
  t.match(metrics, new RegExp(`^kismet_ws_tak_markers\\{kind="device"\\} ${expected.size}$`, 'm'))
})

t.test('without any output the tak topic still gets every CoT event; without GPS there is nothing to send', async (t) => {
  const p = await startPipeline(t, { sim: { devices: 20, location: AT } })
  const recorder = await subscribe(p.url, ['tak'])
  await p.cycle()
  p.advance(1000)
  await recorder.until((got) => got.some((e) => e.type === 'tak:cot' && e.data.kind === 'sensor'))
  t.ok(recorder.ofType('tak:cot').length > 1, 'browser maps get the markers without a TAK server')
  t.same(recorder.ofType('tak:status'), [], 'no output, no tak:status')

  const dark = await startPipeline(t, { sim: { devices: 20 } })
  await dark.cycle()
  dark.advance(5000)
  t.same(dark.envelopes.filter((e) => e.type === 'tak:cot'), [], 'no location anywhere: no CoT')
  t.same(dark.app.tak.status().markers, { devices: 0, sensors: 0, candidates: 0 }, 'and no marker kept')
})

t.test('several sensors: tak:cot per sensor through narrowed subscriptions; tak:status to every tak subscriber', async (t) => {
  const udp = await listenUdp(t)
  const h = await startSensors(t, ['north', 'south'], {
    devices: 12,
    sim: (name) => ({ location: name === 'north' ? AT : { lat: 38.9, lon: -77.1 } }),
    env: { TAK_UNICAST_ENABLED: 'true', TAK_UNICAST_HOST: '127.0.0.1', TAK_UNICAST_PORT: String(udp.port), TAK_UID_SENSOR: 'true' },
  })
  const northOnly = await subscribe(h.url, ['tak'], { sensors: ['north'] })
  await northOnly.until((got) => got.some((e) => e.type === 'tak:status'))
  await h.cycle()
  h.advance(1000)
  const sensors = (got: AnyEnvelope[]) => new Set(got.filter((e) => e.type === 'tak:cot').map((e) => e.sensor))
  await northOnly.until((got) => got.some((e) => e.type === 'tak:cot' && e.data.uid === 'kismet-sensor-north'))
  t.same([...sensors(northOnly.envelopes)], ['north'], 'only north')
  const uids = h.envelopes.filter((e): e is Envelope<'tak:cot'> => e.type === 'tak:cot').map((e) => e.data.uid)
  t.ok(uids.some((uid) => uid.startsWith('kismet-north-wifi-')) && uids.some((uid) => uid.startsWith('kismet-south-wifi-')), 'TAK_UID_SENSOR: uids name their sensor')
  t.ok(uids.includes('kismet-sensor-south'), "one marker per sensor with a fix, named after it")
})

t.test('a bad TAK variable stops the start with one line naming it (and never shows the passphrase)', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ TAK_TLS_ENABLED: 'true', TAK_TLS_HOST: 'tak.example.org', TAK_TLS_CERT: '/nonexistent/client.pem', TAK_TLS_KEY: '/nonexistent/client.key' }, /^Invalid configuration: TAK_TLS_CERT="\/nonexistent\/client.pem" cannot be read \(ENOENT\)$/],
    [{ TAK_MULTICAST_ENABLED: 'true', TAK_MULTICAST_ADDRESS: '10.0.0.1' }, /TAK_MULTICAST_ADDRESS="10.0.0.1" is invalid: expected an IPv4 multicast address/],
    [{ TAK_TCP_ENABLED: 'true', TAK_TCP_HOST: 'tak server' }, /TAK_TCP_HOST="tak server" is invalid: expected a host name or an IP address/],
    [{ TAK_TCP_ENABLED: 'true' }, /TAK_TCP_HOST must be set when TAK_TCP_ENABLED is true/],
    [{ TAK_REFRESH_S: '300' }, /TAK_REFRESH_S="300" must be less than TAK_STALE_S \(300\)/],
    [{ TAK_DENY: '00:11:22,not-a-mac' }, /TAK_DENY has an entry that is wrong: "not-a-mac" is neither a MAC/],
    [{ TAK_TYPE_AP: 'a u G' }, /TAK_TYPE_AP="a u G" is invalid: expected a CoT type/],
    [{ TAK_TLS_ENABLED: 'true', TAK_TLS_HOST: 'h', TAK_TLS_CERT: '/etc/hostname', TAK_TLS_KEY: '/etc/hostname', TAK_TLS_KEY_PASSPHRASE: 'SECRET-PASS' }, /TAK_TLS_CERT="\/etc\/hostname" holds no PEM certificate/],
    [{ TAK_TLS_ENABLED: 'true', TAK_TLS_HOST: 'h', TAK_TLS_KEY_PASSPHRASE: 'SECRET-PASS' }, /^Invalid configuration: TAK_TLS_KEY_PASSPHRASE is set but TAK_TLS_KEY is not$/],
  ]
  for (const [env, expected] of cases) {
    const error = await buildApp(t, { env: testEnv(env) }).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(error instanceof ConfigError, `${Object.keys(env).join(', ')}: a ConfigError`)
    t.match((error as Error).message, expected)
    t.notMatch((error as Error).message, /\n|SECRET/, 'one line, no secret')
  }
})
