// The fan-out benchmark's load generator (bench/lib/protocol-client.ts, bench/lib/event-frames.ts)
// against the real service: what it reads off the bytes must be what a full parse reads,
// or the benchmark's figures mean nothing.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startApp } from '../helper.js'
import { makeDevice } from '../support/devices.js'
import { ProtocolClient } from '../../bench/lib/protocol-client.js'
import { deviceUpdateTimestamps, isEventFrame, parsedEnvelopes } from '../../bench/lib/event-frames.js'
import type { AnyEnvelope } from '../../src/events.js'

/** A protocol client that keeps a copy of every event frame and can wait for one. */
function recordingClient(url: string) {
  const frames: Buffer[] = []
  const errors: Error[] = []
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const fn of waiters) fn()
  }
  const client = new ProtocolClient({
    url,
    onEvent: (frame) => {
      frames.push(Buffer.from(frame))
      wake()
    },
    onError: (error) => {
      errors.push(error)
      wake()
    },
  })
  const until = (condition: () => boolean, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return
        clearTimeout(timer)
        waiters.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`not within ${timeoutMs} ms; frames: ${frames.map((f) => f.toString().slice(0, 60)).join(' | ')}`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  return { client, frames, errors, until }
}

t.test('what the load generator reads off the frames is what a full parse reads, one by one and batched', async (t) => {
  const { url, app } = await startApp(t)
  const { client, frames, until } = recordingClient(url)
  t.teardown(() => client.disconnect())
  await client.ready
  t.ok(client.connected)
  t.match(await client.request('subscribe', [['devices']]), { ok: true, topics: ['devices'] })

  const published: AnyEnvelope[] = []
  const publish = (from: number) => {
    for (let i = from; i < from + 3; i++) {
      const device = makeDevice(i)
      const update = app.envelopes.create('device:update', { device, action: 'update', changes: { channel: device.channel } }, 'default')
      const signal = app.envelopes.create('signal:update', { key: device.key, mac: device.mac, signal: -50, lastSeen: device.lastSeen, packets: 1, dataBytes: 2 }, 'default')
      app.events.publish(update)
      app.events.publish(signal)
      published.push(update, signal)
    }
  }
  const ids = () => frames.filter(isEventFrame).flatMap((frame) => parsedEnvelopes(frame).map((e) => e.id))
  publish(0)
  await until(() => published.every((e) => ids().includes(e.id)))

  t.match(await client.request('subscribe', [['devices'], { batch: true }]), { ok: true })
  publish(3)
  await until(() => published.every((e) => ids().includes(e.id)))
  t.ok(
    frames.some((f) => f.toString().startsWith('42["events"')),
    'batched frames arrived',
  )

  const found: number[] = []
  const read: number[] = []
  for (const frame of frames.filter(isEventFrame)) {
    t.ok(deviceUpdateTimestamps(frame, found, true), `read as parsed: ${frame.toString().slice(0, 40)}`)
    read.push(...found)
  }
  const expected = published.filter((e) => e.type === 'device:update').map((e) => e.timestamp)
  t.same(read, expected, 'every device:update timestamp once, nothing else (snapshot and signal updates left out)')
})

t.test('frames that could mislead the scan are read right or caught', async (t) => {
  const frame = (envelope: unknown) => Buffer.from(`42${JSON.stringify(['event', envelope])}`)
  const envelope = { type: 'device:update', data: { device: makeDevice(1), action: 'new' }, timestamp: 1_795_629_789_000, id: 'r-1' }
  const found: number[] = []
  t.ok(deviceUpdateTimestamps(frame(envelope), found, true))
  t.same(found, [envelope.timestamp])

  // Another key ending in "timestamp" inside the data: the type count disagrees with the
  // timestamp count, so the frame is parsed in full.
  const extraKey = { ...envelope, data: { ...envelope.data, device: { ...makeDevice(1), lastTimestamp: 5 } } }
  t.ok(deviceUpdateTimestamps(frame(extraKey), found, true))
  t.same(found, [envelope.timestamp], 'only the envelope timestamp')

  // A timestamp the scan cannot read (not a whole number): the check catches it.
  t.notOk(deviceUpdateTimestamps(frame({ ...envelope, timestamp: 1_795_629_789_000.5 }), found, true), 'the full parse disagrees')
})

t.test('a server that goes away is reported, and a refused upgrade rejects `ready`', async (t) => {
  const { url, app } = await startApp(t)
  const { client, errors, until } = recordingClient(url)
  await client.ready
  await app.close()
  await until(() => errors.length > 0)
  t.notOk(client.connected, 'no longer connected')

  const http = createServer((_request, response) => response.writeHead(404).end())
  http.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => http.close(() => resolve())))
  const refused = new ProtocolClient({ url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, onEvent: () => {}, onError: () => {} })
  await t.rejects(refused.ready, /upgrade refused: HTTP\/1.1 400/)
})
