// Scale-out as an operator runs it: a real redis-server, real server.ts processes as producers
// and gateways, one Kismet simulator, real Socket.IO clients. Every wait is for an event or a
// condition, with an overall timeout.
import t from 'tap'
import { KismetSimulator } from '../../sim/simulator.js'
import type { AnyEnvelope } from '../../src/events.js'
import { ClientTable, tableDifferences } from '../faults/client-table.js'
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
  recovered: boolean[] = []

  constructor(t: TestLike, url: string, options: { reconnectTo?: () => string } = {}) {
    this.socket = createClient(t, url, { reconnection: options.reconnectTo !== undefined, reconnectionDelay: 100, reconnectionDelayMax: 300 })
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
    if (options.reconnectTo) {
      const manager = this.socket.io as unknown as { uri: string; on(event: string, fn: () => void): void }
      manager.on('reconnect_attempt', () => (manager.uri = options.reconnectTo!()))
    }
  }

  async subscribe(topics: string[]): Promise<void> {
    const ack = await this.socket.timeout(5000).emitWithAck('subscribe', topics as never)
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

/** The gateway's view of who leads the sensor (GET /status's cluster section). */
async function leaderOf(gateway: ServiceProcess): Promise<string | null> {
  const response = await fetch(`${gateway.url}/api/kismet/ws/status`)
  const body = (await response.json()) as { data: { cluster?: { sensors: Array<{ name: string; leader: string | null }> } } }
  return body.data.cluster?.sensors.find((s) => s.name === SENSOR)?.leader ?? null
}

t.test('clients on both gateways see every new, remove and alert exactly once', async (t) => {
  const { sim, gateways, producers } = await cluster(t)
  t.teardown(() => { if (process.env['DEBUG16']) { for (const p of producers) console.error('PRODUCER', JSON.stringify(p.logs.slice(-15)), p.stderr()); for (const g of gateways) console.error('GATEWAY', JSON.stringify(g.logs.slice(-10)), g.stderr()); console.error('A', a.envelopes.map(e => e.type + ':' + e.id).join(' ')) } })
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
