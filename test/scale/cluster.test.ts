// Scale-out as an operator runs it: a real redis-server, real server.ts processes as producers
// and gateways, one Kismet simulator, real Socket.IO clients. Every wait is for an event or a
// condition, with an overall timeout.
import t from 'tap'
import { KismetSimulator } from '../../sim/simulator.js'
import type { AnyEnvelope } from '../../src/events.js'
import { ClientTable } from '../faults/client-table.js'
import { TEST_API_KEY, type TestLike } from '../helper.js'
import { startRedis, startRole, stopProcess } from '../support/cluster.js'
import { createClient, type ClientSocket } from '../support/socket.js'
import { Waiters } from '../support/waiters.js'
import type { ServiceProcess } from '../support/service-process.js'

const SENSOR = 'default'

/** A client's table rebuilt from its stream, with a way to wait for a condition on it. */
class WatchedClient {
  readonly table = new ClientTable()
  readonly envelopes: AnyEnvelope[] = []
  readonly waiters = new Waiters()
  readonly socket: ClientSocket
  connects = 0
  batches = 0
  recovered: boolean[] = []

  constructor(t: TestLike, url: string, options: { reconnectTo?: () => string } = {}) {
    this.socket = createClient(t, url, { reconnection: options.reconnectTo !== undefined, reconnectionDelay: 100, reconnectionDelayMax: 300 })
    this.socket.on('disconnect', () => this.waiters.wake())
    this.socket.on('connect', () => {
      this.connects += 1
      this.recovered.push(this.socket.recovered)
      this.waiters.wake()
    })
    this.socket.on('event', (envelope) => {
      this.envelopes.push(envelope)
      this.table.apply(envelope)
      this.waiters.wake()
    })
    this.socket.on('events', (batch) => {
      this.batches += 1
      for (const envelope of batch) {
        this.envelopes.push(envelope)
        this.table.apply(envelope)
      }
      this.waiters.wake()
    })
    if (options.reconnectTo) {
      const manager = this.socket.io as unknown as { uri: string; on(event: string, fn: () => void): void }
      manager.on('reconnect_attempt', () => (manager.uri = options.reconnectTo!()))
    }
  }

  async subscribe(topics: string[], options?: object): Promise<void> {
    const ack = await (options ? this.socket.timeout(5000).emitWithAck('subscribe', topics as never, options as never) : this.socket.timeout(5000).emitWithAck('subscribe', topics as never))
    if (!(ack as { ok: boolean }).ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`)
  }

  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return this.waiters.until(condition, () => `${what}; anomalies: ${this.table.anomalies.join('; ') || 'none'}`, timeoutMs)
  }

  newsFor(key: string): number {
    return this.envelopes.filter((e) => e.type === 'device:update' && e.data.action === 'new' && e.data.device.key === key).length
  }
}

function truthOf(sim: KismetSimulator) {
  return sim.devices().map((d) => d.key).sort()
}

function keysOf(client: WatchedClient): string[] {
  return client.table.table().map((d) => d.key)
}

async function cluster(t: TestLike, options: { producers?: number; gateways?: number } = {}) {
  const redis = await startRedis(t)
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, seed: 16, devices: 5 })
  const kismetUrl = await sim.listen()
  t.teardown(() => sim.close())
  // Kismet hears its devices all the time: those it forgot (removeDevice) expire after DEVICE_TTL_S.
  const hearing = setInterval(() => {
    for (const device of sim.devices()) sim.touchDevice(device.key)
  }, 300)
  t.teardown(() => clearInterval(hearing))
  const producerEnv = { KISMET_ENABLED: 'true', KISMET_API_URL: kismetUrl, KISMET_API_KEY: TEST_API_KEY, KISMET_EVENTBUS: 'off', POLL_INTERVAL_MS: '100', DEVICE_TTL_S: '2' }
  const gatewayEnv = { KISMET_API_URL: kismetUrl }
  const producers: ServiceProcess[] = []
  for (let i = 0; i < (options.producers ?? 2); i++) producers.push(await startRole(t, 'producer', redis.url, producerEnv))
  const gateways: ServiceProcess[] = []
  for (let i = 0; i < (options.gateways ?? 2); i++) gateways.push(await startRole(t, 'gateway', redis.url, gatewayEnv))
  return { redis, sim, producers, gateways, producerEnv, gatewayEnv }
}

/** Polls `read` (a REST answer) until `holds` says yes, or fails after `timeoutMs`: the cluster records refresh every CLUSTER_REFRESH_MS. */
async function pollUntil<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (holds(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function readyOf(gateway: ServiceProcess): Promise<{ status: number; body: { error?: { message: string } } }> {
  const response = await fetch(`${gateway.url}/ready`)
  return { status: response.status, body: (await response.json()) as { error?: { message: string } } }
}

/** The gateway's view of who leads the sensor (GET /status's cluster section). */
async function leaderOf(gateway: ServiceProcess): Promise<string | null> {
  const response = await fetch(`${gateway.url}/api/kismet/ws/status`)
  const body = (await response.json()) as { data: { cluster?: { sensors: Array<{ name: string; leader: string | null }> } } }
  return body.data.cluster?.sensors.find((s) => s.name === SENSOR)?.leader ?? null
}

t.test('clients on both gateways see every new, remove and alert exactly once', async (t) => {
  const { sim, gateways } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  const b = new WatchedClient(t, gateways[1]!.url)
  await Promise.all([a.subscribe(['devices', 'alerts']), b.subscribe(['devices', 'alerts'])])
  const truth = () => truthOf(sim)
  for (const client of [a, b]) await client.until(() => client.table.snapshotComplete && keysOf(client).join() === truth().join(), 'the snapshot and the seeded devices')

  const added = sim.addDevice({ name: 'fresh' })
  const gone = sim.devices()[0]!.key
  sim.removeDevice(gone)
  const alert = sim.raiseAlert()
  for (const client of [a, b]) {
    await client.until(() => keysOf(client).join() === truth().join() && client.table.hasAlert(String(alert.hash)), 'the new device, the removal and the alert')
    t.equal(client.newsFor(added.key), 1, 'one new for the added device')
    t.same(client.table.anomalies, [], 'no anomaly (no second new, no remove of an unknown device, no alert twice)')
  }
})

const LEADS = /^This producer leads the sensor now$/

function leaderAmong(producers: ServiceProcess[]): ServiceProcess | undefined {
  return producers.find((p) => p.child.exitCode === null && p.child.signalCode === null && p.logs.some((l) => LEADS.test(String(l['msg'] ?? ''))))
}

async function settled(sim: KismetSimulator, clients: WatchedClient[], what: string): Promise<void> {
  for (const client of clients) await client.until(() => client.table.snapshotComplete && keysOf(client).join() === truthOf(sim).join(), what)
}

t.test('SIGKILL of the leading producer: the standby leads within 5 s, tables equal Kismet again, no second new', async (t) => {
  const { sim, gateways, producers } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  const b = new WatchedClient(t, gateways[1]!.url)
  await Promise.all([a.subscribe(['devices', 'alerts']), b.subscribe(['devices', 'alerts'])])
  await settled(sim, [a, b], 'the first table')
  const leader = leaderAmong(producers)
  t.ok(leader, 'one producer leads')
  const standby = producers.find((p) => p !== leader)!
  t.notOk(standby.logs.some((l) => LEADS.test(String(l['msg'] ?? ''))), 'the other one stands by')

  const killedAt = Date.now()
  await stopProcess(leader!, 'SIGKILL')
  await standby.waitForLog(LEADS, 5000)
  const tookMs = Date.now() - killedAt
  t.ok(tookMs < 5000, `the standby leads ${tookMs} ms after the SIGKILL`)

  const before = new Set(truthOf(sim))
  const added = sim.addDevice({ name: 'after-failover' })
  sim.removeDevice([...before][0]!)
  const alert = sim.raiseAlert()
  await settled(sim, [a, b], 'the table after the failover')
  for (const client of [a, b]) {
    await client.until(() => client.table.hasAlert(String(alert.hash)), 'the alert raised after the failover')
    t.equal(client.newsFor(added.key), 1, 'one new for the device added after the failover')
    for (const key of before) t.ok(client.newsFor(key) <= 1, `at most one new for ${key}`)
    t.same(client.table.anomalies, [], 'no anomaly: no second new, no remove of an unknown device, no alert twice')
  }
  for (const gateway of gateways) {
    const leader = await pollUntil(() => leaderOf(gateway), (id) => id !== null, 'a leader in /status')
    t.type(leader, 'string', 'the gateway sees the new leader in /status')
  }
})

t.test('SIGTERM of a gateway: its clients reconnect to the other one and recover what they missed', async (t) => {
  const { sim, gateways } = await cluster(t)
  const [first, second] = [gateways[0]!, gateways[1]!]
  const a = new WatchedClient(t, first.url, { reconnectTo: () => second.url })
  await a.subscribe(['devices', 'alerts'])
  await settled(sim, [a], 'the first table')
  const shutdown = a.until(() => a.envelopes.some((e) => e.type === 'server:shutdown'), 'server:shutdown')
  const gone = a.waiters.until(() => !a.socket.connected, 'the disconnect')
  const exit = await stopProcess(first)
  t.equal(exit.code, 0, 'the gateway exits 0')
  await shutdown
  await gone
  // Published while the client is away: the recovery on the other gateway replays it.
  const added = sim.addDevice({ name: 'while-away' })
  const alert = sim.raiseAlert()
  await a.until(() => a.connects >= 2, 'the reconnect to the other gateway')
  t.equal(a.recovered.at(-1), true, 'the session is recovered on the other gateway (same rooms, missed packets replayed)')
  await settled(sim, [a], 'the table after the reconnect')
  await a.until(() => a.table.hasAlert(String(alert.hash)), 'the alert raised while away')
  t.equal(a.newsFor(added.key), 1, 'the device added while away came once')
  t.same(a.table.anomalies, [], 'no anomaly')
})

t.test('Redis restarts: everything resumes; /ready says Redis is away meanwhile; a subscriber gets what was published during the gap', async (t) => {
  const { sim, gateways, redis } = await cluster(t)
  const a = new WatchedClient(t, gateways[0]!.url)
  await a.subscribe(['devices', 'alerts'])
  await settled(sim, [a], 'the first table')
  await redis.stop()
  const down = await pollUntil(() => readyOf(gateways[0]!), (r) => r.status === 503, '/ready 503 while Redis is down')
  t.match(down.body.error?.message, /Redis is unavailable/, '/ready says Redis is unavailable')
  const during = sim.addDevice({ name: 'during-outage' })
  await redis.start()
  await pollUntil(() => readyOf(gateways[0]!), (r) => r.status === 200, '/ready 200 again')
  t.pass('/ready is 200 again')
  // A subscriber on either gateway now: its snapshot (from the new leader's table) holds the device added during the gap.
  const b = new WatchedClient(t, gateways[1]!.url)
  await b.subscribe(['devices', 'alerts'])
  await settled(sim, [b], "a new subscriber's table, with the device added during the outage")
  const after = sim.addDevice({ name: 'after-outage' })
  await b.until(() => b.table.devices.has(after.key), 'a device added after the restart')
  await a.until(() => a.table.devices.has(after.key), 'the same device at the client that stayed connected')
  t.ok(b.table.devices.has(during.key) && b.table.devices.has(after.key), 'both devices are in the new subscriber\'s table')
  t.same(b.table.anomalies, [], 'no anomaly at the new subscriber')
})

t.test('a snapshot is exact against the live stream: subscribers joining while devices keep changing see no gap and no repeat', async (t) => {
  const { sim, gateways } = await cluster(t, { producers: 1 })
  let added = 0
  const churn = setInterval(() => {
    sim.addDevice({ name: `churn-${added++}` })
    const devices = sim.devices()
    if (devices.length > 12) sim.removeDevice(devices[0]!.key)
    sim.raiseAlert()
  }, 25)
  t.teardown(() => clearInterval(churn))
  const clients: WatchedClient[] = []
  for (let i = 0; i < 8; i++) {
    const client = new WatchedClient(t, gateways[i % 2]!.url)
    await client.subscribe(['devices', 'alerts'])
    clients.push(client)
    await client.until(() => client.table.snapshotComplete, 'its snapshot')
  }
  const target = added + 5
  await clients[0]!.waiters.until(() => added >= target, 'more churn')
  clearInterval(churn)
  await settled(sim, clients, 'every table equal to Kismet')
  const alerts = sim.alerts().map((a) => String(a.hash))
  for (const client of clients) {
    t.same(client.table.anomalies, [], 'no anomaly: no update before its new, no second new, no alert twice')
    await client.until(() => alerts.every((id) => client.table.hasAlert(id)), 'every alert Kismet holds')
  }
})

t.test('batched delivery through a gateway: its snapshot and then events packets, exact; a filter is refused with NOT_SUPPORTED', async (t) => {
  const { sim, gateways } = await cluster(t, { producers: 1 })
  let added = 0
  const churn = setInterval(() => {
    sim.addDevice({ name: `batched-${added++}` })
    const devices = sim.devices()
    if (devices.length > 10) sim.removeDevice(devices[0]!.key)
  }, 30)
  t.teardown(() => clearInterval(churn))
  const clients: WatchedClient[] = []
  for (let i = 0; i < 4; i++) {
    const client = new WatchedClient(t, gateways[i % 2]!.url)
    await client.subscribe(['devices', 'alerts'], { batch: true })
    clients.push(client)
    await client.until(() => client.table.snapshotComplete, 'its snapshot')
  }
  const target = added + 5
  await clients[0]!.waiters.until(() => added >= target, 'more churn')
  clearInterval(churn)
  await settled(sim, clients, 'every batched table equal to Kismet')
  for (const client of clients) {
    t.ok(client.batches > 0, 'events packets arrived')
    t.same(client.table.anomalies, [], 'no anomaly')
  }
  const filtered = new WatchedClient(t, gateways[0]!.url)
  const ack = (await filtered.socket.timeout(5000).emitWithAck('subscribe', ['devices'] as never, { filter: { ssid: 'x' } } as never)) as { ok: boolean; error?: { code: string } }
  t.equal(ack.ok, false, 'a filtered subscription is refused')
  t.equal(ack.error?.code, 'NOT_SUPPORTED', 'with NOT_SUPPORTED')
})

t.test('SIGTERM of the leading producer: it flushes, exits 0 and gives the lock up; the standby leads; a producer serves /health only', async (t) => {
  const { sim, gateways, producers } = await cluster(t, { gateways: 1 })
  const a = new WatchedClient(t, gateways[0]!.url)
  await a.subscribe(['devices', 'alerts'])
  await settled(sim, [a], 'the first table')
  const leader = leaderAmong(producers)!
  const standby = producers.find((p) => p !== leader)!
  t.equal((await fetch(`${leader.url}/health`)).status, 200, 'a producer answers /health')
  t.equal((await fetch(`${leader.url}/api/kismet/ws/status`)).status, 404, 'and nothing else: no REST')
  t.equal((await fetch(`${leader.url}/socket.io/?EIO=4&transport=polling`)).status, 404, 'and no Socket.IO')
  const exit = await stopProcess(leader)
  t.equal(exit.code, 0, 'the leader exits 0')
  await standby.waitForLog(LEADS, 5000)
  const added = sim.addDevice({ name: 'after-handover' })
  await settled(sim, [a], 'the table after the handover')
  t.equal(a.newsFor(added.key), 1, 'one new for the device added after the handover')
  t.same(a.table.anomalies, [], 'no anomaly')
})
