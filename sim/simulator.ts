// KismetSimulator: a real HTTP server that answers like Kismet (paths, auth, fields,
// last-time rules, status codes and bodies as in test/fixtures/kismet), over a device
// table that tests, the demo and the benchmarks script: devices appear, are heard, drift and
// leave; alerts are raised; the server restarts, goes down, answers slowly or badly. Its
// eventbus websocket (sim/eventbus.ts) pushes what Kismet's does: TIMESTAMP and GPS_LOCATION
// every second, NEW_DEVICE at creation, ALERT when raised, DATASOURCE_* on source changes.
import { systemClock, type TimerHandle } from '../src/clock.js'
import { ALERT_BACKLOG, alertFromKind, alertHash, LOGDISABLED } from './alerts.js'
import { JwtIssuer } from './auth.js'
import { recordValue, SimEventbus, type SimEventbusFault, type SimEventbusStats } from './eventbus.js'
import { DeviceFieldWriter } from './fields.js'
import { flavorProfile, type FlavorProfile } from './flavor.js'
import { SimHttp } from './http.js'
import { datasourceUuid, deviceKeyForMac, serverUuid } from './ids.js'
import type { JsonObject } from './json.js'
import { Prng } from './prng.js'
import { renderDevice, type DeviceRenderContext } from './render-device.js'
import { gpsUuid, renderGpsLocation, type SimGps } from './render-gps.js'
import { microsOf, renderAlert, renderDatasource, renderTimestamp, secondsOf } from './render-system.js'
import type { SimBackend } from './routes.js'
import { deviceFromInit, seedAccessPoint, seedClient, seedDevices, type SeedContext } from './seed.js'
import { DeviceStore, type DeviceEntry } from './store.js'
import type {
  SimAlert,
  SimDatasource,
  SimDevice,
  SimFault,
  SimFaultOptions,
  SimFlavor,
  SimLocation,
  SimRequestLogEntry,
  SimStats,
  SimTimers,
  SimulatorOptions,
} from './types.js'

export type { SimEventbusFault, SimEventbusStats } from './eventbus.js'
// The simulator's types are its API too: whoever imports the simulator finds them here.
export type * from './types.js'

/** How much happens in one tick() (probabilities per tick; `heard` per device). */
export interface SimTickOptions {
  /** Share of devices heard again (default 0.6). */
  heard?: number
  /** Chance that a new device appears (default 0.05). */
  join?: number
  /** Chance that a client leaves (Kismet forgets it) (default 0.03). */
  leave?: number
  /** Chance of an alert (default 0.01). */
  alert?: number
}

/** Kismet's default 2.4 GHz hop order, then the common 5 GHz channels. */
const DEFAULT_HOP_CHANNELS = ['1', '6', '11', '2', '7', '3', '8', '4', '9', '5', '10', '36', '40', '44', '48', '149', '153', '157', '161']

function copyLocation(location: SimLocation | null): SimLocation | null {
  return location === null ? null : { ...location }
}

function copyDevice(device: SimDevice): SimDevice {
  return { ...device, location: copyLocation(device.location), peakLocation: copyLocation(device.peakLocation) }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value))
}

export class KismetSimulator {
  readonly #clock: () => number
  readonly #prng: Prng
  readonly #fakePrng: Prng
  readonly #profile: FlavorProfile
  readonly #options: SimulatorOptions
  readonly #prefix: string
  readonly #store = new DeviceStore()
  readonly #jwt = new JwtIssuer()
  #serverUuid: string
  readonly #http: SimHttp
  readonly #backendView: SimBackend
  readonly #eventbus = new SimEventbus()
  readonly #timers: SimTimers
  #tickTimer: TimerHandle | undefined
  #alerts: SimAlert[] = []
  #lastAlertMicros = 0
  #datasources: SimDatasource[]
  #startSec: number
  /** Kismet's GPS (/gps/*.json, GPS_LOCATION frames, device locations); null: no GPS. */
  #gps: SimGps | null

  constructor(options: SimulatorOptions = {}) {
    this.#options = options
    this.#clock = options.clock ?? Date.now
    const seed = options.seed ?? 1
    this.#prng = new Prng(seed)
    this.#fakePrng = new Prng(seed ^ 0x7a11)
    this.#profile = flavorProfile(options.flavor ?? 'release-2025-09-R1')
    this.#prefix = (options.prefix ?? '').replace(/\/+$/, '')
    if (this.#prefix !== '' && !this.#prefix.startsWith('/')) this.#prefix = `/${this.#prefix}`
    this.#serverUuid = serverUuid(this.#prng)
    this.#startSec = this.#nowSec()
    this.#gps = options.location ? { lat: options.location.lat, lon: options.location.lon, alt: options.location.alt ?? 20, fix: 3 } : null
    for (const device of seedDevices(this.#seedContext(this.#prng), options.devices ?? 0)) this.#store.add(device)
    let packets = 0
    for (const entry of this.#store.entries()) packets += entry.device.packets
    this.#datasources = [this.#datasource({ numPackets: packets }, 0)]
    this.#timers = options.timers ?? systemClock
    this.#backendView = this.#backend()
    this.#http = new SimHttp(this.#backendView, {
      prefix: this.#prefix,
      credentials: { apiKey: options.apiKey, user: options.user, password: options.password },
      jwt: this.#jwt,
      seed,
      eventbus: this.#eventbus,
    })
    if (options.logDisabledAlert) this.raiseAlert({ ...LOGDISABLED })
  }

  // -------------------------------------------------------------------------------------
  // Server

  /** Starts listening; resolves the base URL (with the prefix). */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await this.#http.listen(port, host)
    this.#startTicking()
    return this.url
  }

  get url(): string {
    const host = this.#http.host.includes(':') ? `[${this.#http.host}]` : this.#http.host
    return `http://${host}:${this.#http.port}${this.#prefix}`
  }

  get port(): number {
    return this.#http.port
  }

  get flavor(): SimFlavor {
    return this.#profile.flavor
  }

  /** kismet.server.uuid (changes on restart({ newServerUuid: true })). */
  get serverUuid(): string {
    return this.#serverUuid
  }

  /** timestamp.start_sec: when this "server process" started (changes on restart()). */
  get startSec(): number {
    return this.#startSec
  }

  get stats(): SimStats {
    return this.#http.stats
  }

  /** The last 1000 requests (secrets in query strings masked). */
  get requestLog(): SimRequestLogEntry[] {
    return this.#http.requestLog
  }

  /** Closes the listener and every open connection. */
  async close(): Promise<void> {
    this.#stopTicking()
    this.#eventbus.close()
    await this.#http.close()
  }

  /** Stops listening and drops open connections (the eventbus's too): requests now fail with ECONNREFUSED. */
  async goDown(): Promise<void> {
    this.#stopTicking()
    this.#eventbus.drop()
    await this.#http.close()
  }

  /** Listens again on the same port (and host). */
  async comeUp(): Promise<void> {
    if (this.#http.listening) return
    if (this.#http.port === 0) throw new Error('comeUp() needs a previous listen()')
    await this.#http.listen(this.#http.port, this.#http.host)
    this.#startTicking()
  }

  // -------------------------------------------------------------------------------------
  // Eventbus

  /** Open eventbus connections. */
  get eventbusClients(): number {
    return this.#eventbus.clients
  }

  /** Open eventbus connections subscribed to `topic` (or to `*`). */
  eventbusSubscribers(topic: string): number {
    return this.#eventbus.subscribers(topic)
  }

  /** Eventbus traffic: upgrades accepted, frames and bytes sent. */
  get eventbusStats(): SimEventbusStats {
    return { ...this.#eventbus.stats }
  }

  /**
   * Scripts the eventbus while REST stays up: refuse the upgrade with a status (401 and 404
   * answer Kismet's pages), stall (nothing sent, TIMESTAMP included; what was held goes out
   * when the stall ends), send garbage; null restores it.
   */
  setEventbusFault(fault: SimEventbusFault | null): void {
    this.#eventbus.setFault(fault)
  }

  /** Cuts every eventbus connection now; new ones are accepted. */
  dropEventbus(): void {
    this.#eventbus.drop()
  }

  /** Kismet's one-second events: TIMESTAMP, then GPS_LOCATION (eventbus/subscribe_wildcard.json). */
  #eventbusSecond(): void {
    const now = this.#clock()
    this.#eventbus.publish('TIMESTAMP', recordValue(renderTimestamp(now)))
    const uuid = this.#gps === null ? '' : gpsUuid(this.#options.serverName ?? 'Kismet', this.#gps)
    this.#eventbus.publish('GPS_LOCATION', recordValue(renderGpsLocation(this.#gps, uuid, secondsOf(now), microsOf(now))))
  }

  #startTicking(): void {
    if (this.#tickTimer !== undefined) return
    this.#tickTimer = this.#timers.setTimeout(() => {
      this.#tickTimer = undefined
      this.#eventbusSecond()
      this.#startTicking()
    }, 1000)
  }

  #stopTicking(): void {
    if (this.#tickTimer !== undefined) this.#timers.clearTimeout(this.#tickTimer)
    this.#tickTimer = undefined
  }

  /** Delays every answer by `ms` (real timers). */
  setLatency(ms: number): void {
    this.#http.setLatency(ms)
  }

  /** Makes matching requests fail in the given way, for `times` requests or until cleared with null. */
  setFault(fault: SimFault | null, options?: SimFaultOptions): void {
    this.#http.setFault(fault, options)
  }

  /**
   * A Kismet restart: new start time, login cookies invalid, alerts gone, devices gone unless
   * kept. `newServerUuid`: it comes back as another server (its server_id was reset, or another
   * Kismet answers at this address).
   */
  restart(options: { keepDevices?: boolean; newServerUuid?: boolean } = {}): void {
    this.#startSec = this.#nowSec()
    if (options.newServerUuid) this.#serverUuid = serverUuid(this.#prng)
    this.#jwt.rotate()
    // The old process's websockets die with it.
    this.#eventbus.drop()
    if (!options.keepDevices) this.#store.clear()
    this.#alerts = []
    for (const source of this.#datasources) source.numPackets = 0
    if (this.#options.logDisabledAlert) this.raiseAlert({ ...LOGDISABLED })
  }

  // -------------------------------------------------------------------------------------
  // Devices

  /** A new device (realistic defaults, times = now unless given). Throws if the key exists. */
  addDevice(init: Partial<SimDevice> = {}): SimDevice {
    const aps = this.#someAccessPoints()
    const device = deviceFromInit(this.#seedContext(this.#prng), init, aps)
    if (this.#store.get(device.key)) throw new RangeError(`device ${device.key} already exists`)
    const entry = this.#store.add(device)
    this.#countAssociation(device, null, device.bssid)
    this.#countPackets(device.packets)
    // Kismet announces a device when it creates it, with the record as it is at that moment:
    // a device without GPS has no location sub-record yet (eventbus/new_device_full.json).
    const render = this.#backendView.deviceContext()
    this.#eventbus.publish('NEW_DEVICE', (fields) => {
      if (fields !== null) return new DeviceFieldWriter(fields, render).object(entry)
      const record = renderDevice(entry, render)
      if (device.location === null) delete record['kismet.device.base.location']
      return record
    })
    return copyDevice(device)
  }

  /** Changes a device: modTime = now; lastTime = now unless the patch sets it. */
  updateDevice(key: string, patch: Partial<SimDevice>): SimDevice {
    if (patch.key !== undefined && patch.key !== key) throw new RangeError('a device key cannot change')
    const entry = this.#requireEntry(key)
    const before = { bssid: entry.device.bssid, packets: entry.device.packets }
    const now = this.#nowSec()
    this.#store.update(key, (device) => {
      Object.assign(device, patch)
      if (patch.location) device.location = { ...patch.location }
      if (patch.peakLocation) device.peakLocation = { ...patch.peakLocation }
      if (patch.mac !== undefined) device.mac = patch.mac.toUpperCase()
      device.modTime = patch.modTime ?? now
      device.lastTime = patch.lastTime ?? now
    })
    this.#countAssociation(entry.device, before.bssid, entry.device.bssid)
    this.#countPackets(entry.device.packets - before.packets)
    return copyDevice(entry.device)
  }

  /**
   * The device was heard again: lastTime = modTime = now; `packets` and `dataBytes` are how
   * many more were heard (random when not given); the signal drifts unless given.
   */
  touchDevice(key: string, change: { signal?: number; packets?: number; dataBytes?: number } = {}): SimDevice {
    const entry = this.#requireEntry(key)
    const prng = this.#prng
    const now = this.#nowSec()
    const packets = change.packets ?? prng.int(1, 25)
    this.#store.update(key, (device) => {
      device.lastTime = now
      device.modTime = now
      device.packets += packets
      device.dataBytes += change.dataBytes ?? (device.bssid === null ? 0 : packets * prng.int(50, 1_200))
      device.signal = change.signal ?? (device.signal === 0 ? 0 : clamp(device.signal + prng.int(-3, 3), -95, -20))
    })
    this.#countPackets(packets)
    return copyDevice(entry.device)
  }

  /** Kismet forgets the device (tracker timeout); unknown keys are ignored. */
  removeDevice(key: string): void {
    const entry = this.#store.get(key)
    if (!entry) return
    this.#store.remove(key)
    this.#countAssociation(entry.device, entry.device.bssid, null)
  }

  getDevice(key: string): SimDevice | undefined {
    const entry = this.#store.get(key)
    return entry ? copyDevice(entry.device) : undefined
  }

  /** The ground truth, in creation order (copies). */
  devices(): SimDevice[] {
    return Array.from(this.#store.entries(), (entry) => copyDevice(entry.device))
  }

  // -------------------------------------------------------------------------------------
  // Alerts

  /** Raises an alert: timestamp = now with microseconds, unique hash, ring of the last 50. */
  raiseAlert(init: Partial<SimAlert> = {}): SimAlert {
    const ap = this.#randomDevice((device) => device.type === 'Wi-Fi AP')
    const client = ap ? this.#randomClientOf(ap) : null
    const base = alertFromKind(this.#prng, this.#profile.flavor, { ap, client }, init.header)
    const timestamp = init.timestamp ?? this.#nextAlertTimestamp()
    const alert: SimAlert = { ...base, ...init, timestamp, hash: 0 }
    let hash = init.hash ?? alertHash(alert)
    while (this.#alerts.some((other) => other.hash === hash)) hash = (hash + 1) >>> 0
    alert.hash = hash
    this.#alerts.push(alert)
    if (this.#alerts.length > ALERT_BACKLOG) this.#alerts.splice(0, this.#alerts.length - ALERT_BACKLOG)
    this.#eventbus.publish('ALERT', recordValue(renderAlert(this.#profile, alert)))
    return { ...alert }
  }

  /** The alert backlog, oldest first (copies). */
  alerts(): SimAlert[] {
    return this.#alerts.map((alert) => ({ ...alert }))
  }

  // -------------------------------------------------------------------------------------
  // GPS

  /** Kismet's GPS: null for none (the default unless `location` was given). */
  get gps(): SimGps | null {
    return this.#gps === null ? null : { ...this.#gps }
  }

  /**
   * Moves the GPS (the sensor travels), loses its fix (`fix` below 2) or removes it (null).
   * Devices keep the locations they were heard at; new devices get locations around it.
   */
  setGps(position: { lat: number; lon: number; alt?: number; fix?: number } | null): void {
    this.#gps = position === null ? null : { lat: position.lat, lon: position.lon, alt: position.alt ?? 20, fix: position.fix ?? 3 }
  }

  // -------------------------------------------------------------------------------------
  // Datasources

  /** Replaces the capture sources; missing properties get a running, hopping Wi-Fi card's values. */
  setDatasources(sources: Array<Partial<SimDatasource>>): SimDatasource[] {
    this.#datasources = sources.map((source, index) => this.#datasource(source, index))
    return this.datasources()
  }

  datasources(): SimDatasource[] {
    return this.#datasources.map((source) => ({ ...source, hopChannels: [...source.hopChannels] }))
  }

  /**
   * Changes one source the way Kismet's source changes happen, with the eventbus event each
   * publishes (the bare UUID): an error stops it (DATASOURCE_ERROR), stopping is
   * DATASOURCE_CLOSED, starting DATASOURCE_OPENED, pausing DATASOURCE_PAUSED (only when it
   * was not paused), resuming DATASOURCE_RESUMED (only when it was).
   */
  updateDatasource(uuid: string, patch: Partial<Omit<SimDatasource, 'uuid'>>): SimDatasource {
    const source = this.#datasources.find((candidate) => candidate.uuid.toUpperCase() === uuid.toUpperCase())
    if (!source) throw new RangeError(`no datasource ${uuid}`)
    const before = { ...source }
    Object.assign(source, patch)
    if (patch.hopChannels) source.hopChannels = [...patch.hopChannels]
    const events: string[] = []
    if (!before.error && source.error) {
      source.running = false
      events.push('DATASOURCE_ERROR')
    } else if (before.running && !source.running) events.push('DATASOURCE_CLOSED')
    if (!before.running && source.running) events.push('DATASOURCE_OPENED')
    if (!before.paused && source.paused) events.push('DATASOURCE_PAUSED')
    if (before.paused && !source.paused) events.push('DATASOURCE_RESUMED')
    for (const topic of events) this.#eventbus.publish(topic, recordValue(source.uuid))
    return { ...source, hopChannels: [...source.hopChannels] }
  }

  // -------------------------------------------------------------------------------------
  // Life

  /** One step of life: most devices are heard, sometimes one appears or leaves, rarely an alert. */
  tick(options: SimTickOptions = {}): void {
    const prng = this.#prng
    const heard = options.heard ?? 0.6
    const clients: string[] = []
    for (const entry of this.#store.entries()) {
      if (prng.chance(heard)) this.touchDevice(entry.device.key)
      if (entry.device.ssid === null) clients.push(entry.device.key)
    }
    if (prng.chance(options.join ?? 0.05)) this.addDevice()
    if (clients.length > 0 && prng.chance(options.leave ?? 0.03)) this.removeDevice(prng.pick(clients))
    if (prng.chance(options.alert ?? 0.01)) this.raiseAlert()
  }

  // -------------------------------------------------------------------------------------
  // Internals

  #nowSec(): number {
    return secondsOf(this.#clock())
  }

  #seedContext(prng: Prng): SeedContext {
    return {
      prng,
      nowSec: this.#nowSec(),
      macTaken: (mac) => this.#store.keyForMac(mac) !== undefined,
      gps: this.#gps !== null && this.#gps.fix >= 2 ? { lat: this.#gps.lat, lon: this.#gps.lon } : null,
    }
  }

  #requireEntry(key: string): DeviceEntry {
    const entry = this.#store.get(key)
    if (!entry) throw new RangeError(`no device ${key}`)
    return entry
  }

  /** Keeps an AP's client count in step when a client joins or leaves it. */
  #countAssociation(device: SimDevice, from: string | null, to: string | null): void {
    if (from === to) return
    const now = this.#nowSec()
    for (const [bssid, delta] of [[from, -1], [to, 1]] as const) {
      if (bssid === null || bssid === device.mac) continue
      const apKey = this.#store.keyForMac(bssid)
      if (apKey === undefined) continue
      this.#store.update(apKey, (ap) => {
        ap.clients = Math.max(0, ap.clients + delta)
        ap.modTime = now
      })
    }
  }

  /** The first running source counts every packet devices send. */
  #countPackets(packets: number): void {
    if (packets <= 0) return
    const source = this.#datasources.find((candidate) => candidate.running && !candidate.paused && !candidate.error)
    if (source) source.numPackets += packets
  }

  #nextAlertTimestamp(): number {
    let micros = this.#clock() * 1000 + this.#prng.int(0, 999)
    if (micros <= this.#lastAlertMicros) micros = this.#lastAlertMicros + 1
    this.#lastAlertMicros = micros
    return micros / 1e6
  }

  #someAccessPoints(): SimDevice[] {
    const aps: SimDevice[] = []
    for (const entry of this.#store.entries()) {
      if (entry.device.type === 'Wi-Fi AP') aps.push(entry.device)
      if (aps.length >= 64) break
    }
    return aps
  }

  #randomDevice(keep: (device: SimDevice) => boolean): SimDevice | null {
    const candidates: SimDevice[] = []
    for (const entry of this.#store.entries()) {
      if (keep(entry.device)) candidates.push(entry.device)
      if (candidates.length >= 256) break
    }
    return candidates.length === 0 ? null : this.#prng.pick(candidates)
  }

  #randomClientOf(ap: SimDevice): SimDevice | null {
    const keys = [...this.#store.clientsOf(ap.mac)]
    if (keys.length === 0) return null
    return this.#store.get(this.#prng.pick(keys))?.device ?? null
  }

  #datasource(init: Partial<SimDatasource>, index: number): SimDatasource {
    const name = init.name ?? init.interface ?? `wlan${index}`
    return {
      uuid: init.uuid ?? datasourceUuid(this.#prng),
      name,
      interface: init.interface ?? name,
      driver: init.driver ?? 'linuxwifi',
      running: init.running ?? true,
      paused: init.paused ?? false,
      error: init.error ?? false,
      errorReason: init.errorReason ?? '',
      hopping: init.hopping ?? true,
      channel: init.channel ?? '',
      hopRate: init.hopRate ?? 5,
      hopChannels: [...(init.hopChannels ?? DEFAULT_HOP_CHANNELS)],
      numPackets: init.numPackets ?? 0,
    }
  }

  #fakeDevices(): Iterator<DeviceEntry> {
    const macs = new Set<string>()
    const ssids = new Set<string>()
    const aps: SimDevice[] = []
    const ctx = this.#seedContext(this.#fakePrng)
    return {
      next: (): IteratorResult<DeviceEntry> => {
        const device = aps.length < 8 || this.#fakePrng.chance(1 / 3) ? seedAccessPoint(ctx, macs, ssids) : seedClient(ctx, macs, aps)
        if (device.type === 'Wi-Fi AP' && aps.length < 64) aps.push(device)
        return { done: false, value: { device, seq: 0, minSignal: device.signal, maxSignal: device.signal, locationTimeSec: device.lastTime, peakTimeSec: device.lastTime } }
      },
    }
  }

  #backend(): SimBackend {
    const store = this.#store
    const profile = this.#profile
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const sim = this
    return {
      profile,
      store,
      // A getter: restart({ newServerUuid }) changes it.
      get serverUuid() {
        return sim.#serverUuid
      },
      // Kismet's default server_name unless one is given.
      serverName: this.#options.serverName ?? 'Kismet',
      nowMs: () => this.#clock(),
      startSec: () => this.#startSec,
      alertList: () => this.#alerts,
      datasourceList: () => this.#datasources,
      openConnections: () => this.#http.openConnections,
      fakeDevices: () => this.#fakeDevices(),
      gps: () => (sim.#gps === null ? null : { position: sim.#gps, uuid: gpsUuid(this.#options.serverName ?? 'Kismet', sim.#gps) }),
      deviceContext: (): DeviceRenderContext => {
        // Devices are seen by the first source; with none configured, the template's source stands in.
        const source = this.#datasources[0]
        let sourceRecord: JsonObject | null = null
        return {
          profile,
          serverUuid: sim.#serverUuid,
          seenByUuid: source?.uuid ?? String(profile.templates.datasource['kismet.datasource.uuid']),
          seenBySource: () => (sourceRecord ??= source ? renderDatasource(profile, source, 0, this.#nowSec()) : profile.templates.datasource),
          clientsOf: (mac) => {
            const out: Array<[string, string]> = []
            for (const key of store.clientsOf(mac)) {
              const client = store.get(key)
              if (client) out.push([client.device.mac, key])
            }
            return out
          },
        }
      },
    }
  }
}

export { deviceKeyForMac }
