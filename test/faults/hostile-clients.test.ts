// Hostile clients: 10,000 randomised messages (seeded, reproducible: FUZZ_SEED), floods of
// subscriptions and of connections from one address, and a client that never reads while
// events flow. The server stays up and answers each message as SPEC section 3 says, memory
// per client stays bounded (a client that stops reading is dropped, not buffered for ever),
// and a well-behaved client connected throughout keeps its latency.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { ManualClock } from '../../src/clock.js'
import { TOPICS, type ClientError, type SubscriptionAck, type Topic, type WifiDevice } from '../../src/events.js'
import { Prng } from '../../sim/prng.js'
import { backlogBytes } from '../../src/realtime/engine.js'
import { startApp } from '../helper.js'
import { makeDevice } from '../support/devices.js'
import { createClient, waitFor, type ClientSocket } from '../support/socket.js'
import { RawClient } from './raw-client.js'
import { randomAction, randomJunkFrame, type Action } from './payloads.js'

const SEED = Number(process.env['FUZZ_SEED'] ?? 20251125)
const TOTAL = 10_000

// ---------------------------------------------------------------------------------------
// The oracle: what the server must answer, written from SPEC section 3, not from the code.

const isTopic = (value: unknown): value is Topic => typeof value === 'string' && (TOPICS as readonly string[]).includes(value)

type Expected = { ok: true; topics: Topic[] } | { ok: false; code: ClientError['code'] }

/** subscribe/unsubscribe: `args` as the server receives them (after JSON). `joined` is updated on success. */
/** subscribe's optional second argument: an object with at most a boolean `batch` (README). */
const isSubscribeOptions = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) &&
  Object.entries(value).every(([k, v]) => k === 'batch' && typeof v === 'boolean')

function expectSubscription(event: 'subscribe' | 'unsubscribe', args: unknown[], joined: Set<Topic>): Expected {
  const maxArgs = event === 'subscribe' ? 2 : 1
  if (args.length < 1 || args.length > maxArgs) return { ok: false, code: 'INVALID_PAYLOAD' }
  const value = args[0]
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length > 16) return { ok: false, code: 'INVALID_PAYLOAD' }
  if (!list.every(isTopic)) {
    return list.length > 0 && list.every((x) => typeof x === 'string') ? { ok: false, code: 'INVALID_TOPIC' } : { ok: false, code: 'INVALID_PAYLOAD' }
  }
  if (args.length === 2 && !isSubscribeOptions(args[1])) return { ok: false, code: 'INVALID_PAYLOAD' }
  for (const topic of list) event === 'subscribe' ? joined.add(topic) : joined.delete(topic)
  return { ok: true, topics: [...joined].sort() }
}

/** ping: valid with no argument or one finite number; the ack echoes it, else gives the server time (its second argument is always the server time). */
function expectPing(args: unknown[], serverNow: number): { valid: boolean; ack: number } {
  const [ts] = args
  const valid = args.length === 0 || (args.length === 1 && typeof ts === 'number' && Number.isFinite(ts))
  return { valid, ack: valid && typeof ts === 'number' ? ts : serverNow }
}

/** What arrives at the server for a value socket.io-client sends (JSON, Buffers kept). */
function overTheWire(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value
  if (Array.isArray(value) && value.some((v) => Buffer.isBuffer(v))) return value.map((v) => (Buffer.isBuffer(v) ? v : overTheWire(v)))
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown)
}

// ---------------------------------------------------------------------------------------

interface FuzzTally {
  acks: number
  wrongAcks: string[]
  errors: number
  expectedErrors: number
}

/** Runs a list of well-formed (socket.io-client) actions on one socket and checks every answer. */
async function runOnClient(client: ClientSocket, actions: Action[], serverNow: number, tally: FuzzTally): Promise<void> {
  const joined = new Set<Topic>()
  let errors = 0
  client.on('error', () => (errors += 1))
  const untyped = client as unknown as { emit(event: string | number, ...args: unknown[]): void }
  const pending: Promise<void>[] = []
  const check = (what: string, got: unknown, want: unknown) => {
    tally.acks += 1
    if (JSON.stringify(got) !== JSON.stringify(want)) tally.wrongAcks.push(`${what}: got ${JSON.stringify(got)?.slice(0, 120)}, want ${JSON.stringify(want)}`)
  }
  for (const action of actions) {
    switch (action.kind) {
      case 'subscribe':
      case 'unsubscribe': {
        const expected = expectSubscription(action.kind, action.args.map(overTheWire), joined)
        if (!expected.ok) tally.expectedErrors += 1
        if (!action.ack) {
          untyped.emit(action.kind, ...action.args)
          break
        }
        pending.push(
          new Promise<void>((resolve) =>
            untyped.emit(action.kind, ...action.args, (ack: SubscriptionAck) => {
              const got = ack.ok ? { ok: true, topics: [...ack.topics].sort() } : { ok: false, code: ack.error.code }
              check(`${action.kind} ${JSON.stringify(action.args).slice(0, 80)}`, got, expected)
              resolve()
            }),
          ),
        )
        break
      }
      case 'ping': {
        const expected = expectPing(action.args.map(overTheWire), serverNow)
        if (!expected.valid) tally.expectedErrors += 1
        pending.push(
          new Promise<void>((resolve) =>
            untyped.emit('ping', ...action.args, (value: unknown, serverTime: unknown) => {
              check(`ping ${JSON.stringify(action.args).slice(0, 80)}`, value, expected.ack)
              check('ping server time', serverTime, serverNow)
              resolve()
            }),
          ),
        )
        break
      }
      case 'unknown':
        tally.expectedErrors += 1
        untyped.emit(action.name, ...action.args)
        break
      case 'binary': {
        if (action.event === 'ping') {
          tally.expectedErrors += 1
          pending.push(
            new Promise<void>((resolve) =>
              untyped.emit('ping', ...action.args, (value: unknown, serverTime: unknown) => {
                check('ping <binary>', value, serverNow)
                check('ping <binary> server time', serverTime, serverNow)
                resolve()
              }),
            ),
          )
        } else {
          const expected = expectSubscription(action.event, action.args.map(overTheWire), joined)
          if (!expected.ok) tally.expectedErrors += 1
          untyped.emit(action.event, ...action.args)
        }
        break
      }
      default:
        break
    }
  }
  await Promise.all(pending)
  // Answers come in order: once this ack is back, every error for the messages above was sent.
  const last = await new Promise<unknown>((resolve) => client.emit('ping', 42, resolve))
  check('final ping', last, 42)
  tally.errors += errors
}

/** A junk frame on a raw connection of its own: the server answers or closes; it never falls over. */
async function runJunk(url: string, frame: string | Buffer, ackId: number): Promise<'alive' | 'closed'> {
  const raw = await RawClient.connect(url)
  try {
    raw.send(frame)
    return (await raw.alive(ackId)) ? 'alive' : 'closed'
  } finally {
    raw.terminate()
  }
}

async function runOversized(t: Test, url: string, payload: string): Promise<string> {
  const client = createClient(t, url)
  await waitFor(client, 'connected')
  const gone = waitFor<string>(client, 'disconnect')
  client.emit('subscribe', payload as never)
  const reason = await gone
  client.close()
  return reason
}

t.test(`${TOTAL} randomised messages (seed ${SEED}): each answered as specified, the server stays up`, async (t) => {
  const clock = new ManualClock()
  const { app, url } = await startApp(t, {
    clock,
    // The point here is validation: the rate limiter must not stand in front of it.
    socket: { limits: { burst: 1e9, perSecond: 1e9, maxRefusals: 1e9 }, maxConnectionsPerAddress: 10_000 },
  })
  const prng = new Prng(SEED)
  const actions = Array.from({ length: TOTAL }, () => randomAction(prng))
  const byKind = new Map<string, number>()
  for (const a of actions) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1)
  t.comment(`mix: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`)

  const spectator = createClient(t, url)
  await waitFor(spectator, 'connected')

  // Well-formed messages over 8 socket.io-client sockets, each with its own model of its rooms.
  const wellFormed = actions.filter((a) => a.kind !== 'junk' && a.kind !== 'oversized')
  const lanes = 8
  const tally: FuzzTally = { acks: 0, wrongAcks: [], errors: 0, expectedErrors: 0 }
  const clients = Array.from({ length: lanes }, () => createClient(t, url))
  await Promise.all(clients.map((c) => waitFor(c, 'connected')))
  await Promise.all(clients.map((c, lane) => runOnClient(c, wellFormed.filter((_, i) => i % lanes === lane), clock.now(), tally)))
  t.same(tally.wrongAcks, [], 'every ack is what the spec says')
  t.equal(tally.errors, tally.expectedErrors, `every refused message got exactly one error event (${tally.expectedErrors})`)
  t.ok(clients.every((c) => c.connected), 'well-formed clients stay connected, however odd their payloads')

  // Junk frames, 16 connections at a time.
  const junk = actions.filter((a): a is Extract<Action, { kind: 'junk' }> => a.kind === 'junk')
  const outcomes = { alive: 0, closed: 0 }
  for (let i = 0; i < junk.length; i += 16) {
    const results = await Promise.all(junk.slice(i, i + 16).map((a, j) => runJunk(url, a.frame, 1000 + i + j)))
    for (const r of results) outcomes[r] += 1
  }
  t.equal(outcomes.alive + outcomes.closed, junk.length, `junk frames: ${outcomes.alive} answered, ${outcomes.closed} closed their connection`)

  // Oversized messages close their own connection only.
  const oversized = actions.filter((a): a is Extract<Action, { kind: 'oversized' }> => a.kind === 'oversized')
  const reasons = new Set<string>()
  for (let i = 0; i < oversized.length; i += 16) {
    for (const reason of await Promise.all(oversized.slice(i, i + 16).map((a) => runOversized(t, url, a.payload)))) reasons.add(reason)
  }
  t.same([...reasons], ['transport close'], `${oversized.length} oversized messages: each closed its own connection`)

  t.equal(await new Promise<number>((resolve) => spectator.emit('ping', 7, resolve)), 7, 'a client connected throughout is still served')
  t.ok(spectator.connected, 'and was never disconnected')
  const health = await app.inject({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, 'the service is healthy')
  await settledConnections(app, 1 + lanes)
  t.equal(Object.getPrototypeOf({}).polluted, undefined, 'no prototype pollution')
})

/** Waits until exactly `count` sockets remain (closed connections are reaped asynchronously). */
async function settledConnections(app: FastifyInstance, count: number): Promise<void> {
  const deadline = Date.now() + 5000
  while (app.io.of('/').sockets.size !== count) {
    if (Date.now() > deadline) throw new Error(`${app.io.of('/').sockets.size} sockets remain, expected ${count}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('floods: subscriptions beyond the rate limit are refused then dropped; connections beyond the cap are refused', async (t) => {
  const clock = new ManualClock()
  const { app, url } = await startApp(t, { clock, socket: { limits: { burst: 20, perSecond: 10, maxRefusals: 50 }, maxConnectionsPerAddress: 60 } })
  const steady = createClient(t, url)
  await waitFor(steady, 'connected')

  const flooders = Array.from({ length: 10 }, () => createClient(t, url))
  await Promise.all(flooders.map((c) => waitFor(c, 'connected')))
  const dropped = flooders.map((c) => waitFor<string>(c, 'disconnect'))
  for (const c of flooders) for (let i = 0; i < 400; i++) c.emit(i % 2 === 0 ? 'subscribe' : 'unsubscribe', ['devices', 'alerts'])
  t.same(new Set(await Promise.all(dropped)), new Set(['io server disconnect']), 'every flooder is disconnected')
  t.equal(app.stats.socketsDropped, 10, 'counted in socketsDropped')
  t.ok(app.stats.clientErrors.RATE_LIMITED >= 10 * 50, 'after RATE_LIMITED errors')

  // 200 connection attempts at once from one address; 60 allowed in all.
  const flood = Array.from({ length: 200 }, () => createClient(t, url))
  const results = await Promise.all(
    flood.map((c) =>
      Promise.race([waitFor(c, 'connected').then(() => 'connected'), waitFor<Error>(c, 'connect_error').then((e) => `refused: ${e.message}`)]),
    ),
  )
  const connected = results.filter((r) => r === 'connected').length
  t.equal(connected, 59, 'up to the cap (the steady client holds one place)')
  t.same(new Set(results.filter((r) => r !== 'connected')), new Set(['refused: too many connections from this address']), 'the rest refused with a reason')
  t.equal(await new Promise<number>((resolve) => steady.emit('ping', 1, resolve)), 1, 'the steady client is still served')

  for (const c of flood) c.disconnect()
  await settledConnections(app, 1)
  const again = createClient(t, url)
  await waitFor(again, 'connected')
  t.pass('places are given back when connections close')
})

// ---------------------------------------------------------------------------------------
// Latency and the client that never reads

/** A device record of about `bytes` (its name is padded), so a few thousand events make megabytes. */
function fatDevice(i: number, bytes: number): WifiDevice {
  return makeDevice(i, { name: `dev-${i}-${'n'.repeat(bytes)}` })
}

interface Run {
  p99: number
  median: number
  received: number
}

/**
 * Publishes `rounds` rounds of `perRound` device events (one round per macrotask, the
 * ManualClock moved `stepMs` each round) and measures, for the well-behaved client, the
 * time from publication to arrival. `during` runs after each round (the hostile load).
 */
async function measuredRun(
  app: FastifyInstance,
  clock: ManualClock,
  good: ClientSocket,
  options: { rounds: number; perRound: number; bytes: number; stepMs: number; during?: (round: number) => void },
): Promise<Run> {
  const sentAt = new Map<string, number>()
  const latencies: number[] = []
  const onEvent = (envelope: { id: string }) => {
    const at = sentAt.get(envelope.id)
    if (at !== undefined) latencies.push(performance.now() - at)
  }
  good.on('event', onEvent)
  let index = 0
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < options.perRound; i++) {
      const envelope = app.envelopes.create('device:update', { device: fatDevice(index++, options.bytes), action: 'update', changes: { name: 'x' } }, 'default')
      sentAt.set(envelope.id, performance.now())
      app.events.publish(envelope)
    }
    clock.advance(options.stepMs)
    options.during?.(round)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  const deadline = Date.now() + 20_000
  while (latencies.length < sentAt.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  good.off('event', onEvent)
  const sorted = [...latencies].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Infinity
  return { p99: at(0.99), median: at(0.5), received: latencies.length }
}

t.test('a client that never reads is dropped with bounded memory; a good client keeps its latency through the abuse', async (t) => {
  const clock = new ManualClock()
  const limits = { maxBacklogBytes: 512 * 1024, graceMs: 1000, checkEveryMs: 250 }
  const { app, url } = await startApp(t, {
    clock,
    socket: { slowConsumers: limits, limits: { burst: 20, perSecond: 10, maxRefusals: 50 }, maxConnectionsPerAddress: 200 },
  })
  const good = createClient(t, url)
  await waitFor(good, 'connected')
  await new Promise<SubscriptionAck>((resolve) => good.emit('subscribe', ['devices'], resolve))
  const shape = { rounds: 150, perRound: 20, bytes: 2000, stepMs: 50 }
  const roundBytes = shape.perRound * (shape.bytes + 400)

  const quiet = await measuredRun(app, clock, good, shape)
  t.equal(quiet.received, shape.rounds * shape.perRound, 'quiet run: every event arrived')

  // The abuse: a client that subscribes and stops reading, flooders, junk senders, a connection churn.
  const stalled = await RawClient.connect(url)
  stalled.send('421["subscribe",["devices","alerts","system","scan"]]')
  await stalled.waitFrame((f) => f.startsWith('431['))
  stalled.stopReading()
  const stalledSocket = [...app.io.of('/').sockets.values()].at(-1)!
  const stalledTcp = (stalledSocket.conn as unknown as { request: { socket: Socket } }).request.socket
  const droppedBefore = app.stats.socketsDropped
  const flooders = Array.from({ length: 4 }, () => createClient(t, url))
  const junkers = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(url)))
  const prng = new Prng(SEED + 1)
  let maxBacklog = 0
  let droppedAtRound: number | undefined
  let overAtRound: number | undefined
  const churn: ClientSocket[] = []

  const loaded = await measuredRun(app, clock, good, {
    ...shape,
    during: (round) => {
      const backlog = stalledSocket.connected ? backlogBytes(stalledSocket.conn) : 0
      maxBacklog = Math.max(maxBacklog, backlog)
      if (overAtRound === undefined && backlog > limits.maxBacklogBytes) overAtRound = round
      if (droppedAtRound === undefined && !stalledSocket.connected) droppedAtRound = round
      for (const f of flooders) for (let i = 0; i < 10; i++) f.emit('subscribe', ['devices', 'alerts'])
      for (const j of junkers) j.send(randomJunkFrame(prng))
      if (round % 10 === 0) churn.push(...Array.from({ length: 10 }, () => createClient(t, url)))
      if (round % 10 === 5) for (const c of churn.splice(0)) c.disconnect()
    },
  })
  for (const c of churn.splice(0)) c.disconnect()
  t.equal(loaded.received, shape.rounds * shape.perRound, 'loaded run: every event arrived')
  // Kernels buffer differently: if the stalled client's socket took it all so far, events go
  // on flowing (bounded) until what is queued for it in the service passes the bound.
  for (let round = shape.rounds; stalledSocket.connected && round < shape.rounds * 5; round++) {
    for (let i = 0; i < shape.perRound; i++) {
      app.events.publish(app.envelopes.create('device:update', { device: fatDevice(round * 1000 + i, shape.bytes), action: 'update', changes: { name: 'x' } }, 'default'))
    }
    clock.advance(shape.stepMs)
    const backlog = stalledSocket.connected ? backlogBytes(stalledSocket.conn) : 0
    maxBacklog = Math.max(maxBacklog, backlog)
    if (overAtRound === undefined && backlog > limits.maxBacklogBytes) overAtRound = round
    if (droppedAtRound === undefined && !stalledSocket.connected) droppedAtRound = round
    await new Promise((resolve) => setTimeout(resolve, 1))
  }

  t.ok(overAtRound !== undefined, `the stalled client's backlog went over the bound (round ${overAtRound})`)
  t.ok(droppedAtRound !== undefined, `the stalled client was dropped (round ${droppedAtRound})`)
  t.ok(flooders.every((f) => f.disconnected), 'the flooders were dropped too')
  t.equal(app.stats.socketsDropped - droppedBefore, flooders.length + 1, 'each drop counted in socketsDropped')
  const deadline = Date.now() + 5000
  while (!stalledTcp.destroyed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  t.ok(stalledTcp.destroyed, 'its TCP connection is closed on the server side, not left half-open')
  // Grace + one check period of rounds, plus the rounds the kernel took before the bound counted.
  const roundsAllowed = Math.ceil((limits.graceMs + limits.checkEveryMs) / shape.stepMs) + 2
  t.ok(maxBacklog <= limits.maxBacklogBytes + roundsAllowed * roundBytes, `its backlog stayed bounded (max ${maxBacklog} bytes)`)
  const totalBacklog = Object.values((app.io.engine as unknown as { clients: Record<string, unknown> }).clients).reduce<number>((sum, c) => sum + backlogBytes(c), 0)
  t.ok(totalBacklog < limits.maxBacklogBytes, `nothing is left queued for it (${totalBacklog} bytes queued in all)`)

  const allowed = Math.max(2 * quiet.p99, 250)
  t.comment(`good client latency: quiet p50 ${quiet.median.toFixed(1)} ms p99 ${quiet.p99.toFixed(1)} ms; under abuse p50 ${loaded.median.toFixed(1)} ms p99 ${loaded.p99.toFixed(1)} ms`)
  t.ok(loaded.p99 <= allowed, `p99 under abuse ${loaded.p99.toFixed(1)} ms <= max(2 x quiet ${quiet.p99.toFixed(1)} ms, 250 ms)`)
  t.ok(good.connected, 'the good client was never dropped')
  for (const j of junkers) j.terminate()
})

t.test('memory: what is kept for clients that reconnect is capped; a short drop still recovers, a long one starts afresh', async (t) => {
  const cap = 1000
  const { app, url } = await startApp(t, { socket: { recoveryBufferPackets: cap } })
  const adapter = app.io.of('/').adapter as unknown as { packets: unknown[] }
  const client = createClient(t, url, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 })
  const received: string[] = []
  client.on('event', (e) => received.push(e.id))
  await waitFor(client, 'connected')
  await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', ['devices'], resolve))
  let index = 0
  const publish = (count: number): string => {
    let id = ''
    for (let i = 0; i < count; i++) {
      const envelope = app.envelopes.create('device:update', { device: makeDevice(index++), action: 'new' }, 'default')
      app.events.publish(envelope)
      id = envelope.id
    }
    return id
  }
  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 5000
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  const last = publish(20_000)
  await until(() => received.includes(last), 'the 20,000 events')
  t.ok(adapter.packets.length <= cap * 1.1, `packets kept: ${adapter.packets.length} (cap ${cap}), not 20,000`)

  const drop = async (missed: number): Promise<{ recovered: boolean; got: number }> => {
    const from = received.length
    const reconnected = waitFor(client, 'connect')
    app.io.of('/').sockets.get(client.id!)!.conn.close()
    await waitFor(client, 'disconnect')
    const lastMissed = publish(missed)
    await reconnected
    if (client.recovered) await until(() => received.includes(lastMissed), 'the replay')
    return { recovered: client.recovered, got: received.length - from }
  }
  t.same(await drop(300), { recovered: true, got: 300 }, 'a drop within the cap: the missed events replayed, once')
  const long = await drop(5000)
  t.equal(long.recovered, false, 'a drop beyond the cap: a fresh session instead of a partial replay')
  t.equal(long.got, 0, 'nothing replayed (the client subscribes again and gets a snapshot)')
})
