// Pushes and polls in one pipeline, where their order matters: against an injected Kismet whose
// answers the test holds back (the KismetSource port) and a ManualClock. A device announced
// while a resync runs must not be removed by it (a remove, then a second `new`); a source read
// again while a cycle runs keeps the fresher answer; a cycle asked for while one runs follows it.
import t from 'tap'
import { ManualClock } from '../../src/clock.js'
import type { AnyEnvelope, WifiDevice } from '../../src/events.js'
import type { AlertBatch, DeviceBatch } from '../../src/kismet/client.js'
import type { KismetDatasource, KismetSystemStatus } from '../../src/kismet/wire.js'
import type { KismetSource } from '../../src/poller.js'
import { makeDevice, T0 } from '../support/devices.js'
import { injectedPipeline, statusAt } from '../support/injected-kismet.js'

const UUID = '4E1D07C3-0000-0000-0000-0000F7F20D81'

function source(paused: number): KismetDatasource {
  return {
    'kismet.datasource.uuid': UUID,
    'kismet.datasource.name': 'wlan0',
    'kismet.datasource.interface': 'wlan0',
    'kismet.datasource.running': 1,
    'kismet.datasource.paused': paused,
    'kismet.datasource.error': 0,
    'kismet.datasource.error_reason': '',
    'kismet.datasource.hopping': 1,
    'kismet.datasource.channel': '',
    'kismet.datasource.hop_rate': 5,
    'kismet.datasource.num_packets': 10,
  }
}

/** A Kismet that answers from lists the test sets; a gate holds one kind of answer back. */
class GatedKismet implements KismetSource {
  devices: WifiDevice[] = []
  sources: KismetDatasource[] = [source(0)]
  /** The next source read by UUID. */
  single: KismetDatasource = source(0)
  readonly #gates = new Map<string, { reached: () => void; open: Promise<void> }>()
  constructor(readonly clock: ManualClock) {}

  /** The next `what` request waits until the returned function is called; `reached` resolves when it is waiting. */
  hold(what: 'devices' | 'datasources'): { reached: Promise<void>; release: () => void } {
    let release!: () => void
    let reached!: () => void
    const open = new Promise<void>((resolve) => (release = resolve))
    const waiting = new Promise<void>((resolve) => (reached = resolve))
    this.#gates.set(what, { reached, open })
    return { reached: waiting, release }
  }

  async #pass(what: string): Promise<void> {
    const gate = this.#gates.get(what)
    if (!gate) return
    this.#gates.delete(what)
    gate.reached()
    await gate.open
  }

  async systemStatus(): Promise<KismetSystemStatus> {
    return statusAt(this.clock, this.devices.length)
  }
  async serverTime(): Promise<number> {
    return this.clock.now()
  }
  async devicesSince(sinceSec: number): Promise<DeviceBatch> {
    const devices = this.devices.filter((d) => d.lastSeen > sinceSec * 1000)
    await this.#pass('devices')
    return { devices, malformed: 0 }
  }
  async devicesSeenWithin(seconds: number, nowSec: number): Promise<DeviceBatch> {
    // The list as Kismet wrote it when asked; what comes while the answer travels is not in it.
    const devices = this.devices.filter((d) => d.lastSeen >= (nowSec - seconds) * 1000)
    await this.#pass('devices')
    return { devices, malformed: 0 }
  }
  async alertsSince(sinceSec: number): Promise<AlertBatch> {
    return { alerts: [], latestTimestamp: sinceSec, malformed: 0 }
  }
  async datasources(): Promise<KismetDatasource[]> {
    const sources = this.sources
    await this.#pass('datasources')
    return sources
  }
  async datasource(): Promise<KismetDatasource> {
    return this.single
  }
  async gpsLocation(): Promise<null> {
    return null
  }
  close(): void {}
}

function setup() {
  const clock = new ManualClock(T0)
  const kismet = new GatedKismet(clock)
  return { clock, kismet, ...injectedPipeline(kismet, clock) }
}

function described(envelopes: AnyEnvelope[]): string[] {
  return envelopes.flatMap((e) => (e.type === 'device:update' ? [`${e.data.action} ${e.data.device.key}`] : []))
}

t.test('a device announced while a resync runs is kept by it: no remove, no second new', async (t) => {
  const { kismet, published, pipeline } = setup()
  const known = makeDevice(1, { lastSeen: T0 })
  const announced = makeDevice(2, { lastSeen: T0 })
  kismet.devices = [known]
  const gate = kismet.hold('devices')
  const cycle = pipeline.poller.runCycle() // the first cycle: a resync
  await gate.reached
  kismet.devices = [known, announced] // Kismet created it after writing the list...
  pipeline.poller.announce(announced) // ...and the eventbus said so
  gate.release()
  await cycle
  t.same(described(published), [`new ${announced.key}`, `new ${known.key}`], 'the announced device, then the listed one')
  t.equal(pipeline.tracker.size, 2, 'both in the table')
  await pipeline.poller.runCycle()
  t.same(described(published), [`new ${announced.key}`, `new ${known.key}`], 'the next poll has them: nothing more')
  await pipeline.stop()
})

t.test('announcing a device the table has (a poll was first) says nothing', async (t) => {
  const { kismet, published, pipeline } = setup()
  const device = makeDevice(1, { lastSeen: T0 })
  kismet.devices = [device]
  await pipeline.poller.runCycle()
  pipeline.poller.announce({ ...device, ssid: null, packets: 1 })
  t.same(described(published), [`new ${device.key}`])
  t.equal(pipeline.tracker.get(device.key), device, 'the polled record stays')
  await pipeline.stop()
})

t.test('a source read again while a cycle reads every source keeps the fresher answer', async (t) => {
  const { clock, kismet, published, pipeline } = setup()
  await pipeline.poller.runCycle()
  const scans = () => published.flatMap((e) => (e.type === 'scan:status' ? [e.data.scanning] : []))
  t.same(scans(), [true])
  clock.advance(5000)
  const gate = kismet.hold('datasources')
  const cycle = pipeline.poller.runCycle()
  await gate.reached // the cycle's list is written: the source still runs
  kismet.single = source(1)
  kismet.sources = [source(1)]
  await pipeline.poller.refreshSource(UUID) // DATASOURCE_PAUSED: read again, published at once
  t.same(scans(), [true, false])
  gate.release()
  await cycle
  clock.advance(5000)
  t.same(scans(), [true, false], 'the older list did not bring the source back')
  await pipeline.stop()
})

t.test('a cycle asked for while one runs starts right after it', async (t) => {
  const { clock, kismet, pipeline } = setup()
  pipeline.start()
  const gate = kismet.hold('devices')
  clock.advance(0) // the first cycle
  await gate.reached
  pipeline.poller.requestCycle()
  gate.release()
  await pipeline.poller.runCycle()
  const polls = pipeline.stats.polls
  clock.advance(0)
  await pipeline.poller.runCycle()
  t.equal(pipeline.stats.polls, polls + 1, 'the asked-for cycle ran at once after the first')
  await pipeline.stop()
})

t.test('a source that flaps: one read at a time, and one more after it, not one per frame', async (t) => {
  const { kismet, pipeline } = setup()
  await pipeline.poller.runCycle()
  let reads = 0
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  kismet.datasource = async () => {
    reads += 1
    if (reads === 1) await held
    return source(reads % 2)
  }
  const first = pipeline.poller.refreshSource(UUID)
  for (let i = 0; i < 10; i++) void pipeline.poller.refreshSource(UUID)
  release()
  await first
  t.equal(reads, 2, 'the read under way, then one for the ten frames that came meanwhile')
  await pipeline.stop()
})
