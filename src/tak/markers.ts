// What goes on the TAK map, and when: a subscriber of the event channel like any other
// output. Device events say which device of which sensor changed; the book reads that
// device's current state from the sensor's table, applies the policy, and keeps one marker
// per uid. Once a second (when there is anything to do) it sends what is due:
//   - a marker whose visible content changed (position, label, kind, SSID, channel,
//     encryption, manufacturer, signal in 5 dB steps, sensor), at most once per minimum interval;
//   - every live marker again each refresh period, so one lost datagram never lets a device
//     that is still heard go stale;
//   - nothing for a device last heard more than TAK_STALE_S ago: `stale` is last heard +
//     TAK_STALE_S, so its last event already says when TAK clients should grey it out;
//   - at most TAK_MAX_DEVICES device markers, the most recently heard; one pushed out is no
//     longer refreshed and ages out;
//   - optionally an explicit delete when Kismet forgets the device;
//   - each sensor's own marker while its Kismet has a GPS fix (from system:status).
// With uids without the sensor's name, an emitter heard by several sensors is one marker,
// placed by the sensor that hears it strongest (among those that heard it within TAK_STALE_S).
import type { Clock, TimerHandle } from '../clock.js'
import type { AnyEnvelope, Location, TakCotData, WifiDevice } from '../events.js'
import { ACCESS_POINT_KINDS, callsignOf, decimal, deleteEvent, DELETE_STALE_MS, deviceEvent, sensorEvent } from './cot.js'
import { TakPolicy, type PolicySettings } from './policy.js'
import { deviceUid, sensorUid } from './uid.js'

/** How often due markers are looked for. */
export const TICK_MS = 1000
/** Signal changes smaller than this (from what was sent) do not make a marker due: every poll moves the signal a little. */
const SIGNAL_STEP_DBM = 5

export interface MarkerSettings {
  staleMs: number
  refreshMs: number
  minIntervalMs: number
  maxDevices: number
  uidPrefix: string
  uidWithSensor: boolean
  sensorMarker: boolean
  deleteOnRemove: boolean
  types: { accessPoint: string; client: string; sensor: string }
  policy: PolicySettings
}

/** One CoT event produced: what tak:cot carries, plus whom it is about and until when it is valid. */
export interface CotMessage extends TakCotData {
  sensor: string
  staleAt: number
}

export interface MarkerBookOptions {
  settings: MarkerSettings
  clock: Clock
  /** A sensor's device as its table holds it now. */
  lookup: (sensor: string, key: string) => WifiDevice | undefined
  /** Every event produced. Should not throw. */
  emit: (message: CotMessage) => void
}

interface View {
  sensor: string
  key: string
  device: WifiDevice
}

interface Sent {
  at: number
  /** What the marker showed, but its signal (compared apart: see #due). */
  signature: string
  /** dBm sent, null for none. */
  signal: number | null
  message: CotMessage
}

interface DeviceMarker {
  uid: string
  /** The device as each sensor that has it sees it (one with uids per sensor). */
  views: Map<string, View>
  sent: Sent | undefined
}

interface SensorMarker {
  uid: string
  sensor: string
  position: Location | null
  /** When the position was last reported (service clock). */
  heardAt: number
  sent: Sent | undefined
}

const viewKey = (sensor: string, key: string): string => `${sensor}\u0000${key}`

export class MarkerBook {
  readonly #o: MarkerBookOptions
  readonly #policy: TakPolicy
  readonly #markers = new Map<string, DeviceMarker>()
  /** (sensor, device key) -> the uid of the marker that view belongs to. */
  readonly #uidOfView = new Map<string, string>()
  /** Views whose device changed since the last tick. */
  readonly #dirty = new Map<string, { sensor: string; key: string }>()
  /** Markers to look at in the next tick (changed, or held back by the minimum interval). */
  readonly #pending = new Set<string>()
  /** Markers live at TAK clients: sent, not stale, not pushed out. They are refreshed. */
  readonly #live = new Set<string>()
  readonly #sensors = new Map<string, SensorMarker>()
  /** The uids allowed a marker under TAK_MAX_DEVICES (null: all), recomputed when views change. */
  #members: Set<string> | null = null
  #membersStale = false
  #timer: TimerHandle | undefined
  #closed = false

  constructor(options: MarkerBookOptions) {
    this.#o = options
    this.#policy = new TakPolicy(options.settings.policy)
  }

  /** The channel listener. */
  handle(envelope: AnyEnvelope): void {
    if (this.#closed) return
    const sensor = envelope.sensor
    if (sensor === undefined) return
    switch (envelope.type) {
      case 'device:update':
        this.#touch(sensor, envelope.data.device.key)
        break
      case 'signal:update':
        this.#touch(sensor, envelope.data.key)
        break
      case 'system:status':
        this.#position(sensor, envelope.data.sensor?.position ?? null)
        break
      default:
        return
    }
  }

  /** The latest event of every live marker (what a stream sends again after it reconnects). */
  live(): CotMessage[] {
    const now = this.#o.clock.now()
    const out: CotMessage[] = []
    for (const uid of this.#live) {
      const message = this.#markers.get(uid)?.sent?.message
      if (message && message.staleAt > now) out.push(message)
    }
    for (const marker of this.#sensors.values()) if (marker.sent && marker.sent.message.staleAt > now) out.push(marker.sent.message)
    return out
  }

  counts(): { devices: number; sensors: number; candidates: number } {
    const now = this.#o.clock.now()
    let sensors = 0
    for (const marker of this.#sensors.values()) if (marker.sent && marker.sent.message.staleAt > now) sensors++
    return { devices: this.#live.size, sensors, candidates: this.#markers.size }
  }

  close(): void {
    this.#closed = true
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Looks at everything due now (the timer's work; tests may call it too). */
  tick(): void {
    this.#timer = undefined
    if (this.#closed) return
    const now = this.#o.clock.now()
    for (const { sensor, key } of this.#dirty.values()) this.#apply(sensor, key, now)
    this.#dirty.clear()
    const members = this.#currentMembers()
    for (const uid of new Set([...this.#pending, ...this.#live])) {
      const marker = this.#markers.get(uid)
      if (!marker || (members !== null && !members.has(uid))) {
        this.#pending.delete(uid)
        this.#live.delete(uid)
        continue
      }
      this.#consider(marker, now)
    }
    for (const marker of this.#sensors.values()) this.#considerSensor(marker, now)
    this.#schedule()
  }

  #touch(sensor: string, key: string): void {
    const vk = viewKey(sensor, key)
    // Most devices of most sensors never have a location: skip them without waiting for a tick.
    if (!this.#uidOfView.has(vk) && !this.#o.lookup(sensor, key)?.location) return
    this.#dirty.set(vk, { sensor, key })
    this.#schedule()
  }

  #position(sensor: string, position: Location | null): void {
    if (!this.#o.settings.sensorMarker) return
    let marker = this.#sensors.get(sensor)
    if (!marker) {
      if (position === null) return
      marker = { uid: sensorUid(this.#o.settings.uidPrefix, sensor), sensor, position: null, heardAt: 0, sent: undefined }
      this.#sensors.set(sensor, marker)
    }
    marker.position = position
    if (position !== null) marker.heardAt = this.#o.clock.now()
    this.#schedule()
  }

  #apply(sensor: string, key: string, now: number): void {
    const vk = viewKey(sensor, key)
    const previousUid = this.#uidOfView.get(vk)
    const device = this.#o.lookup(sensor, key)
    if (!device) {
      if (previousUid !== undefined) this.#detach(previousUid, sensor, vk, true, now)
      return
    }
    const s = this.#o.settings
    const uid = deviceUid(s.uidPrefix, device.phy, device.mac, s.uidWithSensor ? sensor : undefined)
    if (previousUid !== undefined && previousUid !== uid) this.#detach(previousUid, sensor, vk, false, now)
    if (this.#policy.rejection(device) !== null) {
      if (previousUid === uid) this.#detach(uid, sensor, vk, false, now)
      return
    }
    let marker = this.#markers.get(uid)
    if (!marker) {
      marker = { uid, views: new Map(), sent: undefined }
      this.#markers.set(uid, marker)
    }
    marker.views.set(sensor, { sensor, key, device })
    this.#uidOfView.set(vk, uid)
    this.#pending.add(uid)
    this.#membersStale = true
  }

  /** A view leaves its marker: the device is gone from the table (`removed`), or no longer passes the policy. */
  #detach(uid: string, sensor: string, vk: string, removed: boolean, now: number): void {
    this.#uidOfView.delete(vk)
    const marker = this.#markers.get(uid)
    if (!marker) return
    const view = marker.views.get(sensor)
    marker.views.delete(sensor)
    this.#membersStale = true
    if (marker.views.size > 0) {
      this.#pending.add(uid)
      return
    }
    this.#markers.delete(uid)
    this.#pending.delete(uid)
    this.#live.delete(uid)
    // Only a marker TAK clients may still show is worth deleting.
    if (removed && this.#o.settings.deleteOnRemove && marker.sent && marker.sent.message.staleAt > now) {
      this.#o.emit({ uid, kind: 'delete', deviceKey: view?.key ?? null, sensor, xml: deleteEvent(uid, now), staleAt: now + DELETE_STALE_MS })
    }
  }

  /** The TAK_MAX_DEVICES most recently heard markers, or null when all fit. */
  #currentMembers(): Set<string> | null {
    const max = this.#o.settings.maxDevices
    if (this.#markers.size <= max) return (this.#members = null)
    if (!this.#membersStale && this.#members !== null) return this.#members
    const now = this.#o.clock.now()
    const heard = [...this.#markers.values()].map((marker) => ({ uid: marker.uid, at: this.#best(marker, now).device.lastSeen }))
    heard.sort((a, b) => b.at - a.at)
    this.#members = new Set(heard.slice(0, max).map((entry) => entry.uid))
    this.#membersStale = false
    return this.#members
  }

  /** The view that places the marker: heard within TAK_STALE_S first, then the strongest signal, then the most recent. */
  #best(marker: DeviceMarker, now: number): View {
    let best: View | undefined
    let bestLive = false
    for (const view of marker.views.values()) {
      const live = view.device.lastSeen + this.#o.settings.staleMs > now
      if (best === undefined || (live && !bestLive)) {
        best = view
        bestLive = live
        continue
      }
      if (live !== bestLive) continue
      const a = view.device.signal ?? Number.NEGATIVE_INFINITY
      const b = best.device.signal ?? Number.NEGATIVE_INFINITY
      if (a > b || (a === b && view.device.lastSeen > best.device.lastSeen)) best = view
    }
    return best!
  }

  #typeOf(device: WifiDevice): string {
    return ACCESS_POINT_KINDS.has(device.type) ? this.#o.settings.types.accessPoint : this.#o.settings.types.client
  }

  /** Whether what the marker would show differs visibly from what was sent. */
  #changed(sent: Sent, signature: string, signal: number | null): boolean {
    if (signature !== sent.signature) return true
    if (signal === null || sent.signal === null) return signal !== sent.signal
    return Math.abs(signal - sent.signal) >= SIGNAL_STEP_DBM
  }

  /** Whether a marker showing this, last sent as `sent`, is due now: a change after the minimum interval, else the refresh. */
  #due(sent: Sent | undefined, changed: boolean, now: number): boolean {
    if (sent === undefined) return true
    return now - sent.at >= (changed ? this.#o.settings.minIntervalMs : this.#o.settings.refreshMs)
  }

  #consider(marker: DeviceMarker, now: number): void {
    const view = this.#best(marker, now)
    const { device } = view
    const location = device.location
    const staleAt = device.lastSeen + this.#o.settings.staleMs
    if (!location || staleAt <= now) {
      // Not heard for TAK_STALE_S: the last event sent already expires; nothing to refresh.
      this.#pending.delete(marker.uid)
      this.#live.delete(marker.uid)
      return
    }
    const type = this.#typeOf(device)
    // Positions to about a metre; the label, the kind and what the remarks describe.
    const signature = [type, decimal(location.lat, 5), decimal(location.lon, 5), callsignOf(device), device.type, device.ssid, device.channel, device.encryption, device.manufacturer, view.sensor].join('\u0000')
    const changed = marker.sent !== undefined && this.#changed(marker.sent, signature, device.signal)
    if (!this.#due(marker.sent, changed, now)) {
      // A change held back by the minimum interval stays pending; an unchanged marker waits for its refresh.
      if (changed) this.#pending.add(marker.uid)
      else this.#pending.delete(marker.uid)
      return
    }
    const xml = deviceEvent({ uid: marker.uid, type, device, location, sensor: view.sensor, now, staleAt })
    const message: CotMessage = { uid: marker.uid, kind: 'device', deviceKey: view.key, sensor: view.sensor, xml, staleAt }
    marker.sent = { at: now, signature, signal: device.signal, message }
    this.#pending.delete(marker.uid)
    this.#live.add(marker.uid)
    this.#o.emit(message)
  }

  #considerSensor(marker: SensorMarker, now: number): void {
    const position = marker.position
    const staleAt = marker.heardAt + this.#o.settings.staleMs
    if (position === null || staleAt <= now) return
    const signature = [decimal(position.lat, 5), decimal(position.lon, 5), position.fix, position.alt].join('\u0000')
    if (!this.#due(marker.sent, marker.sent !== undefined && this.#changed(marker.sent, signature, null), now)) return
    const xml = sensorEvent({ uid: marker.uid, type: this.#o.settings.types.sensor, sensor: marker.sensor, position, now, staleAt })
    const message: CotMessage = { uid: marker.uid, kind: 'sensor', deviceKey: null, sensor: marker.sensor, xml, staleAt }
    marker.sent = { at: now, signature, signal: null, message }
    this.#o.emit(message)
  }

  /** One timer while anything may come due: changes to look at, live markers to refresh, a sensor with a fix. */
  #schedule(): void {
    if (this.#timer || this.#closed) return
    const now = this.#o.clock.now()
    const sensorLive = [...this.#sensors.values()].some((marker) => marker.position !== null && marker.heardAt + this.#o.settings.staleMs > now)
    if (this.#dirty.size === 0 && this.#pending.size === 0 && this.#live.size === 0 && !sensorLive) return
    this.#timer = this.#o.clock.setTimeout(() => this.tick(), TICK_MS)
  }
}
