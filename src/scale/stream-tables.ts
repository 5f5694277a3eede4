// On a gateway, each sensor's device table as the stream has told it: what the gateway's own
// device filters judge. The producer knows nothing of a gateway's filtered subscriptions, so
// the gateway serves them itself: it judges each device envelope the stream brings against
// this table and sends the filters' rooms what they get (src/realtime/broadcaster.ts,
// routeToLocalFilters).
//
// A table is seeded from Redis (the table and the sequence S it includes, read in one MULTI,
// src/scale/shared-state.ts) and kept by folding every envelope of its sensor whose sequence
// is above the last one folded: the gateway may read the stream behind Redis, and what the
// seed already holds (<= S) arrives later and is passed over. While a seed is read, what the
// stream brings for that sensor waits here (at most MAX_HELD_WHILE_SEEDING), and what is newer
// than S is folded after the seed.
import type { AnyEnvelope, WifiDevice } from '../events.js'
import { sequenceOf } from './keys.js'
import { foldDevices, WHOLE_TABLE, type SensorState } from './shared-state.js'

export const MAX_HELD_WHILE_SEEDING = 20_000

/**
 * What folding one envelope meant: `changed` (a device changed: judge it), `replaced` (a
 * whole snapshot's last chunk: judge the whole table again), `none` (nothing to judge: not a
 * device envelope, already folded, or waiting for the seed).
 */
export type FoldResult = 'changed' | 'replaced' | 'none'

interface Table {
  devices: Map<string, WifiDevice>
  /** The sequence of the last envelope of this sensor folded (or the seed's). */
  lastSeq: number
  /** Whether a seed was ever folded in: the table is usable. */
  seeded: boolean
  /** What the stream brought while a seed is read (undefined: no seed being read). */
  held: AnyEnvelope[] | undefined
  overflow: boolean
}

export class StreamTables {
  readonly #tables = new Map<string, Table>()

  constructor(sensors: readonly string[]) {
    for (const sensor of sensors) this.#tables.set(sensor, { devices: new Map(), lastSeq: 0, seeded: false, held: undefined, overflow: false })
  }

  isSeeded(sensor: string): boolean {
    return this.#tables.get(sensor)?.seeded ?? false
  }

  devices(sensor: string): Iterable<WifiDevice> {
    return this.#tables.get(sensor)?.devices.values() ?? []
  }

  device(sensor: string, key: string): WifiDevice | undefined {
    return this.#tables.get(sensor)?.devices.get(key)
  }

  /** A seed of this sensor is about to be read: what the stream brings for it waits until `seed` or `abandonSeed`. */
  beginSeed(sensor: string): void {
    const table = this.#tables.get(sensor)
    if (table) {
      table.held = []
      table.overflow = false
    }
  }

  /**
   * The table read from Redis replaces this one, and what was held since beginSeed that is
   * newer is folded after it. False when too much was held: the stream went on without the
   * table, which is not used any more until it is seeded again.
   */
  seed(sensor: string, state: Pick<SensorState, 'devices' | 'lastSeq'>): boolean {
    const table = this.#tables.get(sensor)
    if (!table) return false
    const held = table.held ?? []
    table.held = undefined
    if (table.overflow) {
      table.seeded = false
      return false
    }
    table.devices = new Map(state.devices.map((device) => [device.key, device]))
    table.lastSeq = state.lastSeq
    table.seeded = true
    for (const envelope of held) this.#fold(table, envelope)
    return true
  }

  /** The seed could not be read: the table stays as it was, and what was held is folded into it. */
  abandonSeed(sensor: string): void {
    const table = this.#tables.get(sensor)
    if (!table) return
    const held = table.held ?? []
    table.held = undefined
    if (table.seeded) for (const envelope of held) this.#fold(table, envelope)
  }

  fold(envelope: AnyEnvelope): FoldResult {
    const table = envelope.sensor === undefined ? undefined : this.#tables.get(envelope.sensor)
    if (!table) return 'none'
    if (table.held) {
      if (table.held.length >= MAX_HELD_WHILE_SEEDING) table.overflow = true
      else table.held.push(envelope)
      return 'none'
    }
    // Before its first seed a table is not used: nothing to keep.
    if (!table.seeded) return 'none'
    return this.#fold(table, envelope)
  }

  #fold(table: Table, envelope: AnyEnvelope): FoldResult {
    const seq = sequenceOf(envelope.id)
    if (!(seq > table.lastSeq)) return 'none'
    table.lastSeq = seq
    const changed = foldDevices(table.devices, envelope)
    if (changed === undefined) return envelope.type === 'signal:update' ? 'changed' : 'none'
    if (changed !== WHOLE_TABLE) return 'changed'
    return envelope.type === 'device:snapshot' && envelope.data.chunk === envelope.data.chunks - 1 ? 'replaced' : 'none'
  }
}
