// subscribe / unsubscribe / ping as SPEC section 3 defines them, and every kind of bad payload.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import { startApp, type TestLike } from '../helper.js'
import { createClient, waitFor, type ClientSocket } from '../support/socket.js'
import type { ClientError, SubscriptionAck } from '../../src/events.js'

type Emit = (event: string, ...args: unknown[]) => void

function request(client: ClientSocket, event: 'subscribe' | 'unsubscribe', payload: unknown): Promise<SubscriptionAck> {
  return new Promise((resolve) => (client.emit as unknown as Emit)(event, payload, resolve))
}

async function connected(t: TestLike, url: string) {
  const client = createClient(t, url)
  await waitFor(client, 'connected')
  return client
}

t.test('subscribe joins rooms and acks the rooms now joined', async (t) => {
  const { url, app } = await startApp(t)
  const client = await connected(t, url)
  const each = { sensors: null, batch: false }
  t.same(await request(client, 'subscribe', ['devices', 'alerts']), { ok: true, topics: ['devices', 'alerts'], subscriptions: { devices: each, alerts: each } })
  t.same(await request(client, 'subscribe', 'system'), { ok: true, topics: ['devices', 'alerts', 'system'], subscriptions: { devices: each, alerts: each, system: each } })
  t.same(await request(client, 'subscribe', 'system'), { ok: true, topics: ['devices', 'alerts', 'system'], subscriptions: { devices: each, alerts: each, system: each } }, 'twice is harmless')
  const socket = app.io.of('/').sockets.get(client.id!)!
  t.same([...socket.rooms].filter((r) => r !== socket.id).sort(), ['alerts', 'devices', 'system'])
  t.same(await request(client, 'unsubscribe', ['alerts', 'tak']), { ok: true, topics: ['devices', 'system'], subscriptions: { devices: each, system: each } })
})

t.test('subscribe works without an ack', async (t) => {
  const { url, app } = await startApp(t)
  const client = await connected(t, url)
  client.emit('subscribe', 'scan')
  // The ping round trip orders after the subscribe on the same socket.
  await new Promise<number>((resolve) => client.emit('ping', 1, resolve))
  t.ok(app.io.of('/').adapter.rooms.get('scan')?.has(client.id!))
})

const refusals: Array<[string, unknown, ClientError['code']]> = [
  ['an unknown topic', ['devices', 'nope'], 'INVALID_TOPIC'],
  ['one unknown topic string', 'weather', 'INVALID_TOPIC'],
  ['a number', 42, 'INVALID_PAYLOAD'],
  ['null', null, 'INVALID_PAYLOAD'],
  ['an object', { topics: ['devices'] }, 'INVALID_PAYLOAD'],
  ['an array with a number', ['devices', 7], 'INVALID_PAYLOAD'],
  ['17 topics', Array.from({ length: 17 }, () => 'devices'), 'INVALID_PAYLOAD'],
  ['a nested array', [['devices']], 'INVALID_PAYLOAD'],
]

for (const [what, payload, code] of refusals) {
  t.test(`subscribe with ${what} is refused whole with ${code}`, async (t) => {
    const { url, app } = await startApp(t)
    const client = await connected(t, url)
    const errorEvent = waitFor<ClientError>(client, 'error')
    const ack = await request(client, 'subscribe', payload)
    t.equal(ack.ok, false)
    if (!ack.ok) t.equal(ack.error.code, code)
    t.equal((await errorEvent).code, code)
    const socket = app.io.of('/').sockets.get(client.id!)!
    t.same([...socket.rooms], [socket.id], 'nothing joined')
    t.equal(app.stats.clientErrors[code], 1, 'counted')
  })
}

t.test('unsubscribe with a bad payload leaves nothing', async (t) => {
  const { url, app } = await startApp(t)
  const client = await connected(t, url)
  await request(client, 'subscribe', ['devices', 'alerts'])
  const ack = await request(client, 'unsubscribe', ['devices', 'bogus'])
  t.equal(ack.ok, false)
  const socket = app.io.of('/').sockets.get(client.id!)!
  t.same([...socket.rooms].filter((r) => r !== socket.id).sort(), ['alerts', 'devices'])
})

t.test('ping echoes the client timestamp, or gives the server time; the second ack argument is always the server time', async (t) => {
  const clock = new ManualClock(5_000_000)
  const { url } = await startApp(t, { clock })
  const client = await connected(t, url)
  const [echoed, serverTime] = await new Promise<[number, number]>((resolve) => client.emit('ping', 1234.5, (...args) => resolve(args)))
  t.equal(echoed, 1234.5, 'first: the timestamp echoed')
  t.equal(serverTime, 5_000_000, "second: the server's time")
  clock.advance(250)
  const [first, second] = await new Promise<unknown[]>((resolve) => (client.emit as unknown as Emit)('ping', (...args: unknown[]) => resolve(args)))
  t.same([first, second], [5_000_250, 5_000_250], "no timestamp sent: the server's time in both")
  // A client written against the first argument alone still works.
  t.equal(await new Promise<number>((resolve) => client.emit('ping', 7, resolve)), 7)
})

t.test('ping with a non-number gets INVALID_PAYLOAD and still an answer', async (t) => {
  const { url } = await startApp(t)
  const client = await connected(t, url)
  const errorEvent = waitFor<ClientError>(client, 'error')
  const answer = await new Promise<number>((resolve) => (client.emit as unknown as Emit)('ping', 'soon', resolve))
  t.type(answer, 'number')
  t.equal((await errorEvent).code, 'INVALID_PAYLOAD')
})

t.test('an unknown event gets INVALID_PAYLOAD', async (t) => {
  const { url } = await startApp(t)
  const client = await connected(t, url)
  const errorEvent = waitFor<ClientError>(client, 'error')
  ;(client.emit as unknown as Emit)('hack', { x: 1 })
  t.equal((await errorEvent).code, 'INVALID_PAYLOAD')
})
