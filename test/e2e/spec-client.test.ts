// A client written from SPEC section 3 alone — socket.io-client and plain checks, none of
// the service's types or schemas — driving the service process (as an operator runs it)
// against the Kismet simulator through every row of the event and error tables.
import t, { type Test } from 'tap'
import { io, type Socket } from 'socket.io-client'
import { KismetSimulator } from '../../sim/simulator.js'
import { startServiceProcess } from '../support/service-process.js'

type Envelope = { type: string; data: Record<string, unknown>; timestamp: number; id: string }
type Ack = { ok: boolean; topics?: string[]; error?: { message: string; code: string } }

const KEY = '00112233445566778899AABBCCDDEEFF'
const TOKEN = 'spec-client-token'

function waitUntil<T>(socket: Socket, event: string, test: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching "${event}" within ${timeoutMs} ms`)), timeoutMs)
    const listener = (value: T) => {
      if (!test(value)) return
      clearTimeout(timer)
      socket.off(event, listener)
      resolve(value)
    }
    socket.on(event, listener)
  })
}

const isMac = (v: unknown) => typeof v === 'string' && /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/.test(v)
const isNumberOrNull = (v: unknown) => v === null || typeof v === 'number'

/** SPEC 3 "Data shapes": WifiDevice. */
function checkDevice(t: Test, d: Record<string, unknown>): void {
  t.type(d['key'], 'string')
  t.ok(isMac(d['mac']), 'mac is upper-case AA:BB:..')
  t.type(d['name'], 'string')
  t.ok(d['ssid'] === null || typeof d['ssid'] === 'string', 'ssid string or null')
  t.ok(['AP', 'Client', 'Bridged', 'Ad-Hoc', 'WDS', 'Device', 'Unknown'].includes(String(d['type'])), 'type')
  for (const k of ['manufacturer', 'encryption']) t.ok(d[k] === null || typeof d[k] === 'string', `${k} string or null`)
  for (const k of ['channel', 'frequency', 'signal']) t.ok(isNumberOrNull(d[k]), `${k} number or null`)
  for (const k of ['firstSeen', 'lastSeen', 'packets', 'dataBytes']) t.type(d[k], 'number')
  t.ok((d['lastSeen'] as number) > 1.5e12, 'lastSeen in epoch ms')
  if (typeof d['frequency'] === 'number') t.ok(d['frequency'] > 2000 && d['frequency'] < 7200, 'frequency in MHz')
}

t.test('every event and error row of SPEC section 3, from the outside', async (t) => {
  const sim = new KismetSimulator({ apiKey: KEY, devices: 4, seed: 3 })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const service = await startServiceProcess(t, {
    KISMET_ENABLED: 'true',
    KISMET_API_URL: simUrl,
    KISMET_API_KEY: KEY,
    POLL_INTERVAL_MS: '200',
    // Updates, signal and removals follow the poll: it must not slow down while the eventbus pushes.
    POLL_INTERVAL_EVENTBUS_MS: '200',
    // Long enough that the devices kept alive below never lapse on a busy machine (the touches
    // come from this process's timer), short enough to see a silent one removed.
    DEVICE_TTL_S: '10',
    API_TOKEN: TOKEN,
  })
  // The seeded devices keep transmitting; one added later goes silent and must be removed after the TTL.
  const alive = sim.devices()
  const heartbeat = setInterval(() => alive.forEach((d) => sim.touchDevice(d.key)), 500)
  t.teardown(() => clearInterval(heartbeat))

  // The token is needed at the handshake.
  const stranger = io(service.url, { transports: ['websocket'], reconnection: false, forceNew: true })
  t.teardown(() => stranger.disconnect())
  t.equal((await waitUntil<Error>(stranger, 'connect_error', () => true)).message, 'unauthorized')

  const client = io(service.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: TOKEN } })
  t.teardown(() => client.disconnect())
  const events: Envelope[] = []
  client.on('event', (e: Envelope) => events.push(e))
  /** An envelope already received or still to come. */
  const envelope = (test: (e: Envelope) => boolean, timeoutMs?: number): Promise<Envelope> => {
    const seen = events.find(test)
    return seen ? Promise.resolve(seen) : waitUntil<Envelope>(client, 'event', test, timeoutMs)
  }
  const hello = await waitUntil<{ id: string; topics: string[]; kismet: { state: string } }>(client, 'connected', () => true)
  t.same(hello.topics, ['devices', 'alerts', 'system', 'scan', 'tak'])
  t.type(hello.kismet.state, 'string')

  // Errors: a whole request refused, with the error event and the ack.
  const emitAck = (event: string, payload: unknown) => new Promise<Ack>((resolve) => client.emit(event, payload, resolve))
  const invalidPayload = waitUntil<{ code: string }>(client, 'error', (e) => e.code === 'INVALID_PAYLOAD')
  t.match(await emitAck('subscribe', { topic: 'devices' }), { ok: false, error: { code: 'INVALID_PAYLOAD' } })
  await invalidPayload
  const invalidTopic = waitUntil<{ code: string }>(client, 'error', (e) => e.code === 'INVALID_TOPIC')
  t.match(await emitAck('subscribe', ['devices', 'weather']), { ok: false, error: { code: 'INVALID_TOPIC' } })
  await invalidTopic

  // Subscribe to everything: the snapshot comes first, then live events.
  const everySensor = { sensors: null, batch: false }
  t.same(await emitAck('subscribe', ['devices', 'alerts', 'system', 'scan', 'tak']), {
    ok: true,
    topics: ['devices', 'alerts', 'system', 'scan', 'tak'],
    subscriptions: { devices: everySensor, alerts: everySensor, system: everySensor, scan: everySensor, tak: everySensor },
  })
  const snapshot = await envelope((e) => e.type === 'device:snapshot')
  t.equal(snapshot.data['chunk'], 0)
  t.ok((snapshot.data['chunks'] as number) >= 1)
  for (const d of snapshot.data['devices'] as Record<string, unknown>[]) checkDevice(t, d)

  // ping echoes the client's timestamp.
  const sent = Date.now()
  t.equal(await new Promise<number>((resolve) => client.emit('ping', sent, resolve)), sent)

  // device:update new / update, signal:update, alert:new, scan:status, system:status.
  const added = sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Spec-Net', name: 'Spec-Net', commonname: 'Spec-Net' })
  alive.push(added)
  const created = await envelope((e) => e.type === 'device:update' && e.data['action'] === 'new' && (e.data['device'] as { key: string }).key === added.key)
  checkDevice(t, created.data['device'] as Record<string, unknown>)
  t.equal(created.data['changes'], undefined, 'no changes on new')

  sim.updateDevice(added.key, { crypt: 'WPA3 WPA3-SAE AES-CCMP' })
  const updated = await envelope((e) => e.type === 'device:update' && e.data['action'] === 'update' && (e.data['device'] as { key: string }).key === added.key)
  t.match(updated.data['changes'], { encryption: 'WPA3 WPA3-SAE AES-CCMP' })

  const signal = await envelope((e) => e.type === 'signal:update')
  t.same(Object.keys(signal.data).sort(), ['dataBytes', 'key', 'lastSeen', 'mac', 'packets', 'signal'])

  const raised = sim.raiseAlert({ header: 'DEAUTHFLOOD' })
  const alert = await envelope((e) => e.type === 'alert:new' && (e.data['alert'] as { id: string }).id === String(raised.hash))
  t.match(alert.data['alert'], { type: 'kismet', header: 'DEAUTHFLOOD', read: false, severity: /^(low|medium|high)$/ })
  t.ok(((alert.data['alert'] as { timestamp: number }).timestamp) > 1.5e12, 'alert timestamp in epoch ms')

  const scan = await envelope((e) => e.type === 'scan:status')
  t.match(scan.data, { scanning: Boolean, devicesFound: Number, packetsProcessed: Number, errors: Number })
  const system = await envelope((e) => e.type === 'system:status' && (e.data['kismet'] as { state: string }).state === 'connected')
  t.match(system.data, { kismet: { state: 'connected', connected: true, retries: 0 }, service: { uptime: Number, clients: Number, memoryRss: Number } })

  // remove: a device that falls silent, after DEVICE_TTL_S.
  const silent = sim.addDevice({ type: 'Wi-Fi Client' })
  await envelope((e) => e.type === 'device:update' && e.data['action'] === 'new' && (e.data['device'] as { key: string }).key === silent.key)
  await envelope((e) => e.type === 'device:update' && e.data['action'] === 'remove' && (e.data['device'] as { key: string }).key === silent.key, 30_000)

  // RATE_LIMITED: a burst well past the limit.
  const limited = waitUntil<{ code: string }>(client, 'error', (e) => e.code === 'RATE_LIMITED')
  for (let i = 0; i < 30; i++) client.emit('ping', i, () => {})
  await limited

  // Envelopes: ids unique and increasing, timestamps in ms.
  const sequences = events.map((e) => Number(e.id.split('-').at(-1)))
  t.same(sequences, [...sequences].sort((a, b) => a - b), 'ids increase')
  t.equal(new Set(events.map((e) => e.id)).size, events.length, 'ids unique')
  t.ok(events.every((e) => e.timestamp > 1.5e12 && typeof e.type === 'string'))

  // server:shutdown reaches every socket, subscribed or not.
  const quiet = io(service.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: TOKEN } })
  t.teardown(() => quiet.disconnect())
  await waitUntil(quiet, 'connected', () => true)
  const notices = [client, quiet].map((s) => waitUntil<Envelope>(s, 'event', (e) => e.type === 'server:shutdown'))
  service.child.kill('SIGTERM')
  for (const notice of await Promise.all(notices)) t.type(notice.data['message'], 'string')
  t.equal((await service.exited).code, 0)
})
