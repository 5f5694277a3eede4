// A sensor's state in Redis, as the leader producer keeps it and a gateway or the next leader
// reads it: the device table as clients were last told it, the alert de-duplication state, the
// alerts Kismet still holds, the latest scan and system status, and the sequence of the last
// envelope folded into all that. Written in one MULTI per batch of envelopes, read in one
// MULTI: a reader never sees a table without the sequence it corresponds to.
import type { AlertBacklog } from '../alerts.js'
import type { Alert, AnyEnvelope, ScanStatusData, SystemStatusData, WifiDevice } from '../events.js'
import { sensorKeys, sequenceOf } from './keys.js'
import type { RedisClient } from './redis.js'

/** Alert ids remembered for de-duplication (AlertDeduper's capacity). */
export const ALERTS_SEEN_CAP = 10_000

export interface SensorState {
  devices: WifiDevice[]
  alertsSeen: string[]
  backlog: Alert[]
  scan: ScanStatusData | undefined
  system: SystemStatusData | undefined
  /** The sequence of the last envelope folded in (0: none). */
  lastSeq: number
  /** That envelope's id ('' when none). */
  lastId: string
  /** Whether Redis held anything for this sensor. */
  found: boolean
}

/** Reads one sensor's state in one MULTI. */
export async function readSensorState(redis: RedisClient, sensor: string): Promise<SensorState> {
  const keys = sensorKeys(sensor)
  const results = await redis.multi().hgetall(keys.devices).zrange(keys.alertsSeen, 0, -1).hgetall(keys.meta).exec()
  if (!results) throw new Error('Redis aborted the read')
  for (const [error] of results) if (error) throw error
  const devices = results[0]![1] as Record<string, string>
  const alertsSeen = results[1]![1] as string[]
  const meta = results[2]![1] as Record<string, string>
  const parse = <T>(text: string | undefined): T | undefined => (text === undefined ? undefined : (JSON.parse(text) as T))
  return {
    devices: Object.values(devices).map((text) => JSON.parse(text) as WifiDevice),
    alertsSeen,
    backlog: parse<Alert[]>(meta['backlog']) ?? [],
    scan: parse<ScanStatusData>(meta['scan']),
    system: parse<SystemStatusData>(meta['system']),
    lastSeq: meta['lastSeq'] === undefined ? 0 : Number(meta['lastSeq']),
    lastId: meta['lastId'] ?? '',
    found: Object.keys(meta).length > 0,
  }
}

/** What foldDevices says when a device:snapshot chunk replaced (chunk 0) or added to the table. */
export const WHOLE_TABLE = Symbol('whole table')

/**
 * A device envelope applied to a table of devices by key, the way a client applies it: the
 * key of the device it changed, WHOLE_TABLE for a snapshot chunk, undefined for anything else
 * (or a signal about a device the table does not hold).
 */
export function foldDevices(devices: Map<string, WifiDevice>, envelope: AnyEnvelope): string | typeof WHOLE_TABLE | undefined {
  switch (envelope.type) {
    case 'device:update': {
      const { device, action } = envelope.data
      if (action === 'remove') devices.delete(device.key)
      else devices.set(device.key, device)
      return device.key
    }
    case 'signal:update': {
      const { key, signal, lastSeen, packets, dataBytes } = envelope.data
      const device = devices.get(key)
      if (!device) return undefined
      devices.set(key, { ...device, signal, lastSeen, packets, dataBytes })
      return key
    }
    case 'device:snapshot':
      if (envelope.data.chunk === 0) devices.clear()
      for (const device of envelope.data.devices) devices.set(device.key, device)
      return WHOLE_TABLE
    default:
      return undefined
  }
}

/**
 * The table as clients were told it, rebuilt from the envelopes themselves (what a client
 * rebuilds), and what changed since the last write: the next write sends only that.
 */
export class FoldedTable {
  readonly #devices = new Map<string, WifiDevice>()
  readonly #dirty = new Set<string>()
  readonly #newAlerts = new Map<string, number>()
  #scan: ScanStatusData | undefined
  #system: SystemStatusData | undefined
  #lastSeq = 0
  #lastId = ''
  /** The whole table must be written again (after a failed write, or a snapshot). */
  #rewrite = true
  /** The backlog's version last written (it goes again only when it changed). */
  #backlogVersion: number | undefined

  constructor(state?: Pick<SensorState, 'devices' | 'scan' | 'system'>) {
    for (const device of state?.devices ?? []) this.#devices.set(device.key, device)
    this.#scan = state?.scan
    this.#system = state?.system
  }

  get size(): number {
    return this.#devices.size
  }

  values(): IterableIterator<WifiDevice> {
    return this.#devices.values()
  }

  fold(envelope: AnyEnvelope): void {
    const seq = sequenceOf(envelope.id)
    if (Number.isFinite(seq)) {
      this.#lastSeq = seq
      this.#lastId = envelope.id
    }
    const changed = foldDevices(this.#devices, envelope)
    if (changed === WHOLE_TABLE) this.#rewrite = true
    else if (changed !== undefined) this.#dirty.add(changed)
    switch (envelope.type) {
      case 'alert:new':
        this.#newAlerts.set(envelope.data.alert.id, seq)
        return
      case 'scan:status':
        this.#scan = envelope.data
        return
      case 'system:status':
        this.#system = envelope.data
        return
      default:
        return
    }
  }

  /** Writes what changed (everything, when a rewrite is due) with the sequence reached, in one MULTI. */
  async write(redis: RedisClient, sensor: string, backlog: Pick<AlertBacklog, 'version' | 'list'>): Promise<void> {
    const keys = sensorKeys(sensor)
    const rewrite = this.#rewrite
    const dirty = [...this.#dirty]
    const alerts = [...this.#newAlerts]
    const tx = redis.multi()
    if (rewrite) {
      tx.del(keys.devices)
      const all: string[] = []
      for (const [key, device] of this.#devices) all.push(key, JSON.stringify(device))
      if (all.length > 0) tx.hset(keys.devices, ...all)
    } else {
      const set: string[] = []
      const gone: string[] = []
      for (const key of dirty) {
        const device = this.#devices.get(key)
        if (device) set.push(key, JSON.stringify(device))
        else gone.push(key)
      }
      if (set.length > 0) tx.hset(keys.devices, ...set)
      if (gone.length > 0) tx.hdel(keys.devices, ...gone)
    }
    if (alerts.length > 0) {
      tx.zadd(keys.alertsSeen, ...alerts.flatMap(([id, seq]) => [seq, id]))
      tx.zremrangebyrank(keys.alertsSeen, 0, -(ALERTS_SEEN_CAP + 1))
    }
    const backlogVersion = backlog.version
    const meta: Record<string, string> = { lastSeq: String(this.#lastSeq), lastId: this.#lastId }
    if (rewrite || backlogVersion !== this.#backlogVersion) meta['backlog'] = JSON.stringify(backlog.list())
    if (this.#scan) meta['scan'] = JSON.stringify(this.#scan)
    if (this.#system) meta['system'] = JSON.stringify(this.#system)
    tx.hset(keys.meta, meta)
    this.#dirty.clear()
    this.#newAlerts.clear()
    this.#rewrite = false
    try {
      const results = await tx.exec()
      if (!results) throw new Error('Redis aborted the write')
      for (const [error] of results) if (error) throw error
      this.#backlogVersion = backlogVersion
    } catch (error) {
      // What was not written is written whole next time (alerts seen included: the backlog
      // and the ids still in the de-duplicator stand for them).
      this.#rewrite = true
      for (const [id, seq] of alerts) this.#newAlerts.set(id, seq)
      throw error
    }
  }
}
