// The pipeline as src/pipeline.ts assembles it, against an injected Kismet (the KismetSource
// port) and a ManualClock: what one sensor's pipeline publishes, and the shutdown order.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import type { WifiDevice } from '../../src/events.js'
import type { AlertBatch, DeviceBatch } from '../../src/kismet/client.js'
import type { KismetDatasource, KismetSystemStatus } from '../../src/kismet/wire.js'
import { shutDown } from '../../src/pipeline.js'
import type { KismetSource } from '../../src/poller.js'
import { makeDevice, T0 } from '../support/devices.js'
import { injectedPipeline, statusAt } from '../support/injected-kismet.js'

/** A Kismet that answers from a list the test sets, on the test's clock. */
class ListKismet implements KismetSource {
  devices: WifiDevice[] = []
  closed = false
  constructor(readonly clock: ManualClock) {}
  async systemStatus(): Promise<KismetSystemStatus> {
    return statusAt(this.clock, this.devices.length)
  }
  async serverTime(): Promise<number> {
    return this.clock.now()
  }
  async devicesSince(sinceSec: number): Promise<DeviceBatch> {
    return { devices: this.devices.filter((d) => d.lastSeen > sinceSec * 1000), malformed: 0 }
  }
  async devicesSeenWithin(seconds: number, nowSec: number): Promise<DeviceBatch> {
    return { devices: this.devices.filter((d) => d.lastSeen >= (nowSec - seconds) * 1000), malformed: 0 }
  }
  async alertsSince(sinceSec: number): Promise<AlertBatch> {
    return { alerts: [], latestTimestamp: sinceSec, malformed: 0 }
  }
  async datasources(): Promise<KismetDatasource[]> {
    return []
  }
  async datasource(): Promise<KismetDatasource> {
    throw new Error('no datasource in this Kismet')
  }
  async gpsLocation(): Promise<null> {
    return null
  }
  close(): void {
    this.closed = true
  }
}

function setup() {
  const clock = new ManualClock(T0)
  const kismet = new ListKismet(clock)
  return { clock, kismet, ...injectedPipeline(kismet, clock) }
}

t.test('a cycle that expires 200,000 devices at once publishes every remove', async (t) => {
  const { clock, kismet, published, pipeline } = setup()
  const count = 200_000
  kismet.devices = Array.from({ length: count }, (_, i) => makeDevice(i, { lastSeen: T0 }))
  await pipeline.poller.runCycle()
  t.equal(pipeline.tracker.size, count, 'loaded')
  // Kismet forgets them all; a TTL later the cycle expires every one.
  kismet.devices = []
  clock.advance(301_000)
  const from = published.length
  await pipeline.poller.runCycle()
  t.equal(pipeline.poller.state, 'connected', 'the cycle succeeded')
  const removes = published.slice(from).filter((e) => e.type === 'device:update' && e.data.action === 'remove')
  t.equal(removes.length, count, 'one remove per expired device')
  t.equal(pipeline.tracker.size, 0)
  await pipeline.stop()
})

t.test('shutDown: throttled updates go out, then the announcement, then polling stops and Kismet is closed', async (t) => {
  const { clock, kismet, published, pipeline } = setup()
  const device = makeDevice(1, { lastSeen: T0 })
  kismet.devices = [device]
  pipeline.start()
  await pipeline.poller.runCycle()
  // Two renames within the update window: the second is held by the throttle.
  for (const name of ['first', 'second']) {
    clock.advance(100)
    kismet.devices = [{ ...device, name, lastSeen: clock.now() }]
    await pipeline.poller.runCycle()
  }
  const order: string[] = []
  const held = published.length
  await shutDown([pipeline], async () => {
    order.push(...published.slice(held).map((e) => (e.type === 'device:update' ? `${e.data.action} ${e.data.device.name}` : e.type)))
    order.push('announce')
    t.notOk(kismet.closed, 'Kismet still open while clients are told')
  })
  t.same(order.filter((o) => o !== 'system:status'), ['update second', 'announce'], 'the held update went out before the announcement')
  t.ok(kismet.closed, 'then the Kismet client is closed')
  t.equal(clock.pending, 0, 'no timer left')
})
