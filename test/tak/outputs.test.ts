// The TAK network outputs against real local listeners: UDP unicast and multicast (one
// datagram = one event), a TCP stream (framing, the markers sent again on every connection,
// reconnection with backoff and jitter under controlled time, the keepalive, what the server
// sends read and discarded, a server that never reads keeps memory bounded and is given up
// on), and TLS (client certificate, server verified by default, the explicit opt-out, a
// server name other than the host). Certificates are made by the test.
import t, { type Test } from 'tap'
import net from 'node:net'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { ManualClock } from '../../src/clock.js'
import type { TakOutputName, TakStatusData } from '../../src/events.js'
import { deviceEvent } from '../../src/tak/cot.js'
import type { CotMessage } from '../../src/tak/markers.js'
import type { TakOutput } from '../../src/tak/outputs/output.js'
import { LatestPerUidQueue } from '../../src/tak/outputs/queue.js'
import { retryDelay } from '../../src/tak/outputs/reconnect.js'
import { KEEPALIVE_MS, STALL_MS, StreamOutput } from '../../src/tak/outputs/stream.js'
import { UdpOutput } from '../../src/tak/outputs/udp.js'
import { createTak } from '../../src/tak/tak.js'
import { cotProblems, parseCot, splitStream } from '../support/cot.js'
import { makeCertificates } from '../support/certs.js'
import { makeDevice, T0 } from '../support/devices.js'
import { listenStream, listenUdp } from '../support/tak-listeners.js'
import { EnvelopeFactory, EventChannel } from '../../src/envelope.js'
import type { TakSettings } from '../../src/tak/settings.js'

const AT = { lat: 38.8895, lon: -77.0353, alt: 20, fix: 3 }

/** A device marker's event for device `index`. */
function message(index: number): CotMessage {
  const device = makeDevice(index, { location: AT, lastSeen: T0 })
  const uid = `kismet-wifi-${device.mac.replaceAll(':', '')}`
  return { uid, kind: 'device', deviceKey: device.key, sensor: 'default', staleAt: T0 + 300_000, xml: deviceEvent({ uid, type: 'a-u-G', device, location: AT, sensor: 'default', now: T0, staleAt: T0 + 300_000 }) }
}

/** Events of 4 kB, cheap to make by the ten thousand (an XML comment pads them). */
function bigMessages(): (index: number) => CotMessage {
  const base = message(0)
  const padded = base.xml.replace('</event>', `<!--${'x'.repeat(4096 - base.xml.length - 8)}--></event>`)
  return (index) => ({ ...base, uid: `${base.uid}-${index}`, xml: padded.replace(base.uid, `${base.uid}-${index}`) })
}

/** Watches an output's status changes (what tak:status would publish). */
function statusWatcher() {
  const changes: Array<{ output: TakOutputName; stateChanged: boolean }> = []
  let wake = () => {}
  return {
    changes,
    onStatus: (output: TakOutputName, stateChanged: boolean) => {
      changes.push({ output, stateChanged })
      wake()
    },
    /** Resolves once the output's status satisfies `condition`. */
    until(output: TakOutput, condition: (status: TakStatusData) => boolean, what: string, timeoutMs = 5000): Promise<TakStatusData> {
      return new Promise((resolve, reject) => {
        // Told of every status change; the bytes read arrive without one, so also looked at every 10 ms.
        const poll = setInterval(() => check(), 10)
        const timer = setTimeout(() => {
          clearInterval(poll)
          reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(output.status())}`))
        }, timeoutMs)
        const check = () => {
          const status = output.status()
          if (!condition(status)) return
          clearTimeout(timer)
          clearInterval(poll)
          wake = () => {}
          resolve(status)
        }
        wake = check
        check()
      })
    },
  }
}

t.test('reconnection delays: from 1 s, doubling, held at 60 s, half of each jittered', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => retryDelay(n, () => 0)), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
  t.same([1, 2, 7, 20].map((n) => retryDelay(n, () => 0.999999)), [1000, 2000, 60000, 60000])
})

t.test('the latest-per-uid queue: a newer event takes its place, a full queue drops the oldest', async (t) => {
  const queue = new LatestPerUidQueue(2)
  const [a, b, c] = [message(1), message(2), message(3)]
  t.equal(queue.push(a), 0)
  t.equal(queue.push(b), 0)
  const newerA = { ...a, xml: `${a.xml} ` }
  t.equal(queue.push(newerA), 1, 'the older event of uid a is dropped')
  t.equal(queue.push(newerA), 0, 'the same event again drops nothing')
  t.equal(queue.push(c), 1, 'full: the oldest uid is dropped')
  t.same([queue.shift()?.uid, queue.shift()?.uid, queue.shift()], [b.uid, c.uid, undefined])
})

t.test('UDP unicast: one datagram per event, to a local socket', async (t) => {
  const listener = await listenUdp(t)
  const clock = new ManualClock(T0)
  const watch = statusWatcher()
  const output = new UdpOutput({ target: { kind: 'unicast', host: '127.0.0.1', port: listener.port }, clock, onStatus: watch.onStatus })
  t.teardown(() => output.close())
  output.start()
  await watch.until(output, (s) => s.state === 'connected', 'the socket')
  const sent = [message(1), message(2), message(3)]
  for (const m of sent) output.send(m)
  const datagrams = await listener.until(3)
  t.same(datagrams.map((d) => d.toString('utf8')), sent.map((m) => m.xml), 'each datagram is exactly one event, in order')
  for (const d of datagrams) t.same(cotProblems(d.toString('utf8')), [])
  const status = await watch.until(output, (s) => s.sent === 3, 'three sent')
  t.match(status, { output: 'unicast', target: `127.0.0.1:${listener.port}`, dropped: 0, queued: 0, connects: 1 })
  t.equal(status.bytesSent, sent.reduce((sum, m) => sum + Buffer.byteLength(m.xml), 0))
})

t.test('UDP multicast: to the group, with the TTL, from the chosen interface', async (t) => {
  const group = '239.2.3.1'
  const listener = await listenUdp(t, group)
  const clock = new ManualClock(T0)
  const watch = statusWatcher()
  const output = new UdpOutput({ target: { kind: 'multicast', address: group, port: listener.port, ttl: 1, interface: '127.0.0.1' }, clock, onStatus: watch.onStatus })
  t.teardown(() => output.close())
  output.start()
  await watch.until(output, (s) => s.state === 'connected', 'the socket')
  output.send(message(1))
  const [datagram] = await listener.until(1)
  t.equal(datagram?.toString('utf8'), message(1).xml)
  t.match(output.status(), { output: 'multicast', target: `${group}:${listener.port}` })
})

t.test('UDP to a host that does not resolve: a clear error, dropped events counted, another try later', async (t) => {
  const clock = new ManualClock(T0)
  const watch = statusWatcher()
  const output = new UdpOutput({ target: { kind: 'unicast', host: 'no-such-host.invalid', port: 4242 }, clock, onStatus: watch.onStatus, random: () => 0 })
  t.teardown(() => output.close())
  output.start()
  const failed = await watch.until(output, (s) => s.state === 'backoff', 'the failure')
  t.match(failed.lastError, /ENOTFOUND|EAI_AGAIN/)
  output.send(message(1))
  t.equal(output.status().dropped, 1, 'nothing queued for UDP: dropped and counted')
  clock.advance(500)
  t.equal(output.status().state, 'connecting', 'tried again after the backoff')
})

interface StreamSetup {
  output: StreamOutput
  clock: ManualClock
  watch: ReturnType<typeof statusWatcher>
  /** The markers "live now" that a (re)connection sends first. */
  live: CotMessage[]
}

function tcpOutput(t: Test, port: number, options: { queueCapacity?: number; random?: () => number } = {}): StreamSetup {
  const clock = new ManualClock(T0)
  const watch = statusWatcher()
  const live: CotMessage[] = []
  const output = new StreamOutput({
    name: 'tcp',
    target: `127.0.0.1:${port}`,
    open: () => ({ socket: net.connect({ host: '127.0.0.1', port }), ready: 'connect' }),
    clock,
    snapshot: () => live,
    queueCapacity: options.queueCapacity ?? 100,
    pingUid: 'kismet-ping',
    onStatus: watch.onStatus,
    random: options.random ?? (() => 0),
  })
  t.teardown(() => output.close())
  return { output, clock, watch, live }
}

t.test('TCP: one connection, bare events back to back, the live markers first', async (t) => {
  const server = await listenStream(t)
  const { output, watch, live } = tcpOutput(t, server.port)
  live.push(message(1), message(2))
  output.send(message(3)) // before the connection: queued
  output.start()
  const connection = await server.connection(0)
  await watch.until(output, (s) => s.state === 'connected', 'connected')
  output.send(message(4))
  const text = await server.until(connection, (got) => splitStream(got).events.length === 4, 'four events')
  t.equal(text, [message(3), message(1), message(2), message(4)].map((m) => m.xml).join(''), 'no declaration, nothing between or after the events')
  for (const event of splitStream(text).events) t.same(cotProblems(event), [])
  t.equal(server.connections.length, 1, 'one persistent connection')
  t.match(output.status(), { state: 'connected', sent: 4, connects: 1, queued: 0 })
})

t.test('TCP: the server goes away; reconnection after a jittered, growing delay; the markers sent again', async (t) => {
  const server = await listenStream(t)
  const { output, clock, watch, live } = tcpOutput(t, server.port, { random: () => 0.5 })
  live.push(message(1))
  output.start()
  const first = await server.connection(0)
  await server.until(first, (got) => got === message(1).xml, 'the marker')

  first.socket.destroy()
  const lost = await watch.until(output, (s) => s.state === 'backoff', 'the loss')
  t.equal(lost.lastError, 'the server closed the connection')
  live.push(message(2))
  output.send(message(3)) // produced while disconnected: waits in the queue
  t.equal(output.status().queued, 1)
  clock.advance(749)
  t.equal(server.connections.length, 1, 'not before the delay (1 s, half of it jittered: 750 ms at random 0.5)')
  clock.advance(1)
  const second = await server.connection(1)
  const text = await server.until(second, (got) => splitStream(got).events.length === 3, 'three events')
  t.same(splitStream(text).events, [message(3).xml, message(1).xml, message(2).xml], 'what waited, then every live marker again')

  // The server is gone for good: every try is refused, each after a longer delay (2 s, then
  // 4 s, half of each jittered: 1.5 s, then 3 s at random 0.5).
  await server.close()
  await watch.until(output, (s) => s.state === 'backoff', 'the loss')
  for (const delay of [1500, 3000]) {
    clock.advance(delay - 1)
    t.equal(output.status().state, 'backoff', `no try before ${delay} ms`)
    clock.advance(1)
    t.equal(output.status().state, 'connecting', `a try after ${delay} ms`)
    const refused = await watch.until(output, (s) => s.state === 'backoff', 'a refusal')
    t.match(refused.lastError, /ECONNREFUSED/)
  }
})

t.test('TCP: what the server sends is read and discarded; a keepalive when idle', async (t) => {
  const server = await listenStream(t)
  const { output, clock, watch } = tcpOutput(t, server.port)
  output.start()
  const connection = await server.connection(0)
  await watch.until(output, (s) => s.state === 'connected', 'connected')
  // A TAK server pushes other clients' traffic: 8 MB, far more than any socket buffer.
  const chunk = Buffer.alloc(64 * 1024, '<event/>')
  let written = 0
  while (written < 8 * 1024 * 1024) {
    if (!connection.socket.write(chunk)) await new Promise((resolve) => connection.socket.once('drain', resolve))
    written += chunk.length
  }
  await watch.until(output, (s) => s.bytesReceived === written, 'everything read', 10_000)
  t.pass('the server could write all of it: we read it')

  clock.advance(KEEPALIVE_MS)
  const text = await server.until(connection, (got) => got.includes('t-x-c-t'), 'a ping')
  const [ping] = splitStream(text).events
  t.same(cotProblems(ping!), [])
  t.match(parseCot(ping!).event, { type: 't-x-c-t', uid: 'kismet-ping' })
  t.equal(output.status().sent, 0, 'pings are not counted as events sent')
})

t.test('TCP: a server that never reads keeps our memory bounded, and is given up on after STALL_MS', async (t) => {
  const server = await listenStream(t, { read: false })
  const capacity = 50
  const { output, clock, watch } = tcpOutput(t, server.port, { queueCapacity: capacity })
  output.start()
  await server.connection(0)
  await watch.until(output, (s) => s.state === 'connected', 'connected')
  // 50,000 distinct markers of 4 kB: 200 MB offered to a server that reads nothing.
  const big = bigMessages()
  const heapBefore = process.memoryUsage().heapUsed
  for (let i = 0; i < 50_000; i++) {
    output.send(big(i))
    if (i % 1000 === 999) await nextTurn()
  }
  const status = output.status()
  t.ok(status.queued <= capacity, `queued ${status.queued} (at most ${capacity})`)
  t.ok(status.bytesSent < 64 * 1024 * 1024, `${Math.round(status.bytesSent / 1024)} kB handed to the socket (what the kernel buffers), not 200 MB`)
  t.equal(status.sent + status.dropped + status.queued, 50_000, `every event sent (${status.sent}), dropped (${status.dropped}) or queued`)
  t.ok(process.memoryUsage().heapUsed - heapBefore < 100 * 1024 * 1024, 'the heap did not take the 200 MB')

  clock.advance(STALL_MS)
  const stalled = await watch.until(output, (s) => s.state === 'backoff', 'giving up on the stalled server')
  t.match(stalled.lastError, /read nothing for 60 s/)
})

t.test('TLS: a client certificate, the server verified by default; the explicit opt-out; a server name other than the host', async (t) => {
  const certs = makeCertificates(t)
  const server = await listenStream(t, { tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: true } })
  const channel = new EventChannel()
  const clock = new ManualClock(T0)
  const base = (tls: NonNullable<TakSettings['outputs']['tls']>): TakSettings => ({
    enabled: true,
    markers: {
      staleMs: 300_000, refreshMs: 60_000, minIntervalMs: 5000, maxDevices: 10, uidPrefix: 'kismet', uidWithSensor: false, sensorMarker: true, deleteOnRemove: false,
      types: { accessPoint: 'a-u-G', client: 'a-u-G', sensor: 'a-f-G-E-S' },
      policy: { includeClients: false, includeRandomized: false, minSignalDbm: null, allow: null, deny: { macs: new Set(), ouis: new Set(), ssids: new Set() } },
    },
    outputs: { tls },
  })
  const statuses: TakStatusData[] = []
  channel.subscribe((e) => {
    if (e.type === 'tak:status') statuses.push(e.data)
  })
  const until = async (condition: (s: TakStatusData) => boolean, what: string) => {
    for (let i = 0; i < 500; i++) {
      if (statuses.some(condition)) return statuses.find(condition)!
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`no tak:status ${what}: ${JSON.stringify(statuses.at(-1))}`)
  }
  const start = (tls: NonNullable<TakSettings['outputs']['tls']>) => {
    statuses.length = 0
    const tak = createTak({ settings: base(tls), clock, channel, factory: new EnvelopeFactory({ clock }), devices: { deviceOf: () => undefined }, sensorCount: 1, log: { info() {}, warn() {} }, random: () => 0 })
    t.teardown(() => tak.close())
    tak.start()
    return tak
  }

  const good = start({ host: '127.0.0.1', port: server.port, cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert, verify: true })
  await until((s) => s.state === 'connected', 'connected')
  const connection = await server.connection(0)
  t.ok((connection.socket as import('node:tls').TLSSocket).authorized, 'the server accepted our client certificate')
  await good.close()

  const rogue = await listenStream(t, { tls: { cert: certs.rogueServer.cert, key: certs.rogueServer.key } })
  const refused = start({ host: '127.0.0.1', port: rogue.port, cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert, verify: true })
  const failure = await until((s) => s.state === 'backoff', 'a refused server')
  t.match(failure.lastError, /certificate/i, `a server our CA did not sign is refused: ${failure.lastError}`)
  await refused.close()

  const optOut = start({ host: '127.0.0.1', port: rogue.port, cert: certs.client.cert, key: certs.client.key, ca: certs.ca.cert, verify: false })
  await until((s) => s.state === 'connected', 'connected without verification')
  t.pass('TAK_TLS_VERIFY=false connects anyway')
  await optOut.close()

  const named = await listenStream(t, { tls: { cert: certs.namedServer.cert, key: certs.namedServer.key } })
  const byIp = start({ host: '127.0.0.1', port: named.port, ca: certs.ca.cert, verify: true })
  const mismatch = await until((s) => s.state === 'backoff', 'a name mismatch')
  t.match(mismatch.lastError, /ERR_TLS_CERT_ALTNAME_INVALID|does not match|not in the cert/i, `a certificate for another name is refused: ${mismatch.lastError}`)
  await byIp.close()
  start({ host: '127.0.0.1', port: named.port, ca: certs.ca.cert, verify: true, serverName: 'takserver' })
  await until((s) => s.state === 'connected', 'connected by server name')
  t.pass('TAK_TLS_SERVER_NAME: the certificate is checked against that name')
})
