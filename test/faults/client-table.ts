// What a Socket.IO client knows, rebuilt the way a dashboard would: the device table from
// `device:snapshot` chunks, then every `device:update` / `signal:update` applied in the order
// received; alerts as received (those of an `alert:snapshot` too: an alert:new for one of
// them later is a repeat); the Kismet state from `system:status`. Everything that a
// correct stream can never produce is recorded as an anomaly (an update before its `new`,
// a second `new`, a `remove` of an unknown device, `changes` that do not lead to the device
// sent with them, an alert twice, envelope ids that do not increase).
//
// Used by the fault tests, the soak (scripts/soak.ts) and the fault injector
// (scripts/inject-faults.ts), so all three judge "nothing lost" the same way.
import type { Alert, AnyEnvelope, ConnectionState, WifiDevice } from '../../src/events.js'

/** `<run id>-<sequence>` as the service writes envelope ids. */
export function parseEnvelopeId(id: string): { run: string; seq: number } | undefined {
  const at = id.lastIndexOf('-')
  if (at <= 0) return undefined
  const seq = Number(id.slice(at + 1))
  return Number.isSafeInteger(seq) ? { run: id.slice(0, at), seq } : undefined
}

/** A JSON round trip: what a client sees of a value (undefined members vanish). */
export function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

/** A device as a dashboard reads it: an optional field that is null is as good as absent (see DeviceChangesSchema). */
function withoutNullOptionals(device: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...device }
  for (const field of ['clients', 'bssid', 'location']) if (copy[field] === null) delete copy[field]
  return copy
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const record = value as Record<string, unknown>
  return Object.fromEntries(Object.keys(record).sort().map((key) => [key, sortKeys(record[key])]))
}

export class ClientTable {
  readonly devices = new Map<string, WifiDevice>()
  /** Alerts in the order received (a repeat is also an anomaly). */
  readonly alerts: Alert[] = []
  /** Kismet states from system:status, in order. */
  readonly states: ConnectionState[] = []
  readonly anomalies: string[] = []
  /** Counts of what was applied, by kind. */
  readonly counts = { envelopes: 0, snapshots: 0, new: 0, update: 0, remove: 0, signal: 0, alerts: 0, alertSnapshots: 0, status: 0 }
  snapshotComplete = false
  lastEnvelopeId: string | undefined
  readonly #alertIds = new Set<string>()
  #run: string | undefined
  #seq = 0

  /** Applies one envelope, as received. */
  apply(envelope: AnyEnvelope): void {
    this.counts.envelopes += 1
    this.#checkId(envelope.id)
    this.lastEnvelopeId = envelope.id
    switch (envelope.type) {
      case 'device:snapshot': {
        const { devices, chunk, chunks } = envelope.data
        if (chunk === 0) {
          this.devices.clear()
          this.snapshotComplete = false
          this.counts.snapshots += 1
        }
        for (const device of devices) this.devices.set(device.key, device)
        if (chunk === chunks - 1) this.snapshotComplete = true
        return
      }
      case 'device:update': {
        const { device, action, changes } = envelope.data
        const known = this.devices.get(device.key)
        if (action === 'new') {
          this.counts.new += 1
          if (known) this.anomalies.push(`new for ${device.key}, which the client already has`)
          this.devices.set(device.key, device)
        } else if (action === 'remove') {
          this.counts.remove += 1
          if (!known) this.anomalies.push(`remove for ${device.key}, which the client does not have`)
          this.devices.delete(device.key)
        } else {
          this.counts.update += 1
          if (!known) {
            this.anomalies.push(`update for ${device.key} before its new`)
          } else if (changes === undefined) {
            this.anomalies.push(`update for ${device.key} without changes`)
          } else {
            // Applying `changes` to what the client had must give exactly the device sent.
            const patched = { ...known, ...changes }
            if (!sameJson(withoutNullOptionals(patched), withoutNullOptionals({ ...device }))) this.anomalies.push(`update for ${device.key}: changes ${JSON.stringify(Object.keys(changes))} do not lead to the device sent`)
          }
          this.devices.set(device.key, device)
        }
        return
      }
      case 'signal:update': {
        this.counts.signal += 1
        const { key, signal, lastSeen, packets, dataBytes } = envelope.data
        const known = this.devices.get(key)
        if (!known) {
          this.anomalies.push(`signal for ${key}, which the client does not have`)
          return
        }
        this.devices.set(key, { ...known, signal, lastSeen, packets, dataBytes })
        return
      }
      case 'alert:new': {
        this.counts.alerts += 1
        const { alert } = envelope.data
        if (this.#alertIds.has(alert.id)) this.anomalies.push(`alert ${alert.id} received twice`)
        this.#alertIds.add(alert.id)
        this.alerts.push(alert)
        return
      }
      case 'alert:snapshot': {
        this.counts.alertSnapshots += 1
        for (const alert of envelope.data.alerts) {
          if (this.#alertIds.has(alert.id)) continue
          this.#alertIds.add(alert.id)
          this.alerts.push(alert)
        }
        return
      }
      case 'system:status':
        this.counts.status += 1
        this.states.push(envelope.data.kismet.state)
        return
      default:
        return
    }
  }

  /** The table sorted by key, as JSON (comparable with a JSON round trip of the truth). */
  table(): WifiDevice[] {
    return asJson([...this.devices.values()].sort((a, b) => a.key.localeCompare(b.key)))
  }

  get lastState(): ConnectionState | undefined {
    return this.states.at(-1)
  }

  hasAlert(id: string): boolean {
    return this.#alertIds.has(id)
  }

  /** Ids must strictly increase within one server run. */
  #checkId(id: string): void {
    const parsed = parseEnvelopeId(id)
    if (!parsed) {
      this.anomalies.push(`envelope id ${JSON.stringify(id)} is not <run>-<sequence>`)
      return
    }
    if (parsed.run !== this.#run) {
      this.#run = parsed.run
      this.#seq = parsed.seq
      return
    }
    if (parsed.seq <= this.#seq) this.anomalies.push(`envelope id ${id} after sequence ${this.#seq}`)
    this.#seq = parsed.seq
  }
}

/**
 * The differences between a client's table and the truth, as short lines (empty when
 * equal): missing and extra keys, and the fields that differ.
 */
export function tableDifferences(client: WifiDevice[], truth: WifiDevice[], limit = 20): string[] {
  const want = new Map(asJson(truth).map((d) => [d.key, d]))
  const have = new Map(asJson(client).map((d) => [d.key, d]))
  const out: string[] = []
  for (const [key, device] of want) {
    const got = have.get(key)
    if (!got) {
      out.push(`missing ${key}`)
      continue
    }
    const fields = new Set([...Object.keys(device), ...Object.keys(got)])
    const differing = [...fields].filter((f) => !sameJson((device as Record<string, unknown>)[f], (got as Record<string, unknown>)[f]))
    if (differing.length > 0) out.push(`${key} differs in ${differing.join(',')}`)
  }
  for (const key of have.keys()) if (!want.has(key)) out.push(`extra ${key}`)
  return out.length > limit ? [...out.slice(0, limit), `... ${out.length - limit} more`] : out
}

/**
 * What a client of several sensors knows: one ClientTable per sensor, fed the envelopes
 * about that sensor (a device is identified by sensor and key). Envelope ids must increase
 * across all of them, as the service numbers them in one sequence.
 */
export class SensorTables {
  readonly bySensor = new Map<string, ClientTable>()
  readonly anomalies: string[] = []
  readonly #ids = new ClientTable()

  apply(envelope: AnyEnvelope): void {
    // The id check over the whole stream (the table itself is not used).
    this.#ids.apply({ ...envelope, type: 'server:shutdown', data: { message: '' } } as AnyEnvelope)
    if (envelope.type === 'server:shutdown') return
    if (envelope.sensor === undefined) {
      this.anomalies.push(`${envelope.type} ${envelope.id} without a sensor`)
      return
    }
    this.table(envelope.sensor).apply(envelope)
  }

  table(sensor: string): ClientTable {
    let table = this.bySensor.get(sensor)
    if (!table) this.bySensor.set(sensor, (table = new ClientTable()))
    return table
  }

  /** Every anomaly, of the stream and of each sensor's table. */
  allAnomalies(): string[] {
    return [...this.anomalies, ...this.#ids.anomalies, ...[...this.bySensor].flatMap(([sensor, table]) => table.anomalies.map((a) => `${sensor}: ${a}`))]
  }
}
