// The poll loop (SPEC 5.2-5.4): one cycle at a time on a setTimeout chain, an initial or
// resync load of every device seen within the TTL, then incremental cycles of devices
// changed since the previous cycle (Kismet's clock, with overlap), alerts since the last
// one seen, datasources and system status. Failures move it through backoff, 401s into
// auth_failed; a Kismet restart (new start time) or a return from an outage resyncs.
// With the eventbus healthy the loop may run less often (setPollInterval): the polls stay
// the ground truth for updates, signal, expiry and resync, and the backfill of whatever the
// eventbus missed (requestCycle when it goes away).
import type { Clock, TimerHandle } from './clock.js'
import type { AlertIntake } from './alerts.js'
import { backoffDelay } from './backoff.js'
import type { ConnectionState, KismetLink, Location, SystemStatusData, WifiDevice } from './events.js'
import { isKismetError, type KismetError } from './kismet/errors.js'
import type { AlertBatch, DeviceBatch } from './kismet/client.js'
import type { KismetDatasource, KismetSystemStatus } from './kismet/wire.js'
import type { CredentialSource } from './sensor-config.js'
import type { SensorStats } from './stats.js'
import { deriveScanStatus } from './status.js'
import type { EventThrottle } from './throttle.js'
import type { DeviceTracker } from './tracker.js'

/** What the poller needs from Kismet: the KismetClient, or anything shaped like it. */
export interface KismetSource {
  systemStatus(): Promise<KismetSystemStatus>
  serverTime(): Promise<number>
  devicesSince(sinceSec: number): Promise<DeviceBatch>
  devicesSeenWithin(seconds: number, nowSec: number): Promise<DeviceBatch>
  alertsSince(sinceSec: number): Promise<AlertBatch>
  datasources(): Promise<KismetDatasource[]>
  /** One source by UUID (an eventbus DATASOURCE_* frame names it). */
  datasource(uuid: string): Promise<KismetDatasource>
  /** Kismet's GPS position (the sensor's own), null without a fix. */
  gpsLocation(): Promise<Location | null>
}

export interface PollerLog {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface PollerSettings {
  enabled: boolean
  /** The sensor's configured name (log lines name it when there is more than the default one). */
  sensor: string
  /** Shown in log lines so an operator knows which Kismet is meant (never carries credentials). */
  kismetUrl: string
  /** How the credential is configured, so a 401 is explained in the operator's terms (sensor-config.ts). */
  credential?: CredentialSource
  /** The setting that holds the URL, for the unreachable line (default KISMET_API_URL). */
  urlSetting?: string
  pollIntervalMs: number
  heartbeatIntervalMs: number
  retryDelayMs: number
  maxRetries: number
  deviceTtlS: number
  /** How often a cycle also reads Kismet's GPS position (/gps/location.json); 0: never (another reader, the eventbus, may feed setPosition). */
  gpsIntervalMs: number
}

export interface PollerOptions {
  kismet: KismetSource
  tracker: DeviceTracker
  throttle: EventThrottle
  /** Every alert read goes here (de-duplication with the pushed ones, the backlog). */
  alerts: AlertIntake
  stats: SensorStats
  clock: Clock
  log: PollerLog
  settings: PollerSettings
  /** Socket.IO clients connected now, for system:status. */
  clients: () => number
}

/**
 * Seconds subtracted from the previous cycle's server time: `/devices/last-time` is strict
 * `>` on whole seconds, so a device heard later in the second the previous cycle read has
 * last_time equal to that second, and `> second - 1` is what finds it. No more: every
 * second of overlap re-reads every device heard in it, which with thousands of active
 * devices is most of the answer.
 */
export const DEVICE_QUERY_OVERLAP_S = 1

export type StateListener = (state: ConnectionState, previous: ConnectionState) => void

export class Poller {
  readonly #o: PollerOptions
  #state: ConnectionState
  #retries = 0
  #running = false
  #stopped = true
  #cycleTimer: TimerHandle | undefined
  #heartbeatTimer: TimerHandle | undefined
  #inFlight: Promise<void> | undefined
  #resyncWanted = true
  /** Kismet restarted with the same key space and the resync that follows has not completed yet (see #cycle). */
  #restartPending = false
  #lastDeviceQuerySec: number | undefined
  #lastAlertSec = 0
  #kismetStartSec: number | undefined
  /** Kismet's server UUID: its device keys derive from it. */
  #serverUuid: string | undefined
  #kismetVersion: string | undefined
  #sensor: SystemStatusData['sensor']
  /** The sensor's own position (Kismet's GPS), when it has a fix: see setPosition. */
  #position: Location | null = null
  /** When the poll loop last asked Kismet for its GPS position (service clock). */
  #positionReadAt: number | undefined
  #gpsFailureLogged = false
  #lastPollAt: number | undefined
  #authFailureLogged = false
  #outageLogged = false
  /** The delay between cycles now: POLL_INTERVAL_MS, or the eventbus interval while pushes are trusted. */
  #intervalMs: number
  /** A cycle was asked for while one was running: the next one starts when it ends. */
  #cycleWanted = false
  /** Kismet's datasources as last read, and for each the number of the read that brought it (see refreshSource). */
  #sources: KismetDatasource[] = []
  #sourceRead = new Map<string, number>()
  #sourceReads = 0
  readonly #sourceRefreshes = new Map<string, Promise<void>>()
  readonly #sourceRefreshAgain = new Set<string>()
  /** Keys the eventbus announced while a cycle runs (see #cycle: a resync must not remove them). */
  readonly #announced = new Set<string>()
  readonly #stateListeners = new Set<StateListener>()

  /** How log lines name this Kismet beside its URL: by sensor name, unless it is the only, default one. */
  readonly #named: string

  constructor(options: PollerOptions) {
    this.#o = options
    this.#state = options.settings.enabled ? 'connecting' : 'disabled'
    this.#intervalMs = options.settings.pollIntervalMs
    this.#named = namedInLogs(options.settings.sensor)
  }

  get state(): ConnectionState {
    return this.#state
  }

  get retries(): number {
    return this.#retries
  }

  get link(): KismetLink {
    return {
      state: this.#state,
      connected: this.#state === 'connected',
      retries: this.#retries,
      ...(this.#kismetVersion !== undefined && { version: this.#kismetVersion }),
      ...(this.#serverUuid !== undefined && { serverUuid: this.#serverUuid }),
      ...(this.#kismetStartSec !== undefined && { startedAt: this.#kismetStartSec * 1000 }),
      ...(this.#lastPollAt !== undefined && { lastPoll: this.#lastPollAt }),
    }
  }

  onStateChange(listener: StateListener): () => void {
    this.#stateListeners.add(listener)
    return () => this.#stateListeners.delete(listener)
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#scheduleHeartbeat()
    if (!this.#o.settings.enabled) {
      this.#o.log.info({}, 'Kismet polling is disabled (KISMET_ENABLED=false): no request will be sent to Kismet')
      this.#publishSystemStatus()
      return
    }
    this.#o.log.info({ kismet: this.#o.settings.kismetUrl }, `Connecting to Kismet${this.#named} at ${this.#o.settings.kismetUrl}`)
    this.#scheduleCycle(0)
  }

  /** Stops timers and waits for a cycle in flight; nothing is scheduled afterwards. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#cycleTimer) this.#o.clock.clearTimeout(this.#cycleTimer)
    if (this.#heartbeatTimer) this.#o.clock.clearTimeout(this.#heartbeatTimer)
    this.#cycleTimer = undefined
    this.#heartbeatTimer = undefined
    await this.#inFlight
  }

  /** Resolves when no cycle is running (now, or when the one running ends). */
  idle(): Promise<void> {
    return this.#inFlight ?? Promise.resolve()
  }

  /** The delay between cycles now. */
  get pollIntervalMs(): number {
    return this.#intervalMs
  }

  /** The delay between cycles from the next one on (the current wait is not changed; see requestCycle). */
  setPollInterval(ms: number): void {
    this.#intervalMs = ms
  }

  /**
   * One cycle as soon as possible: now, or right after the one running. Not while Kismet
   * is failing: the backoff delay stands (a flapping eventbus must not hammer a Kismet that
   * is down).
   */
  requestCycle(): void {
    if (this.#stopped || !this.#o.settings.enabled) return
    if (this.#state === 'backoff' || this.#state === 'auth_failed') return
    if (this.#inFlight) {
      this.#cycleWanted = true
      return
    }
    this.#scheduleCycle(0)
  }

  /**
   * A device the eventbus announced as just created: `new` at once, through the tracker
   * (nothing when a poll was first). The polls own what follows.
   */
  announce(device: WifiDevice): void {
    const event = this.#o.tracker.add(device)
    if (!event) return
    if (this.#running) this.#announced.add(device.key)
    this.#o.throttle.device(event)
  }

  /**
   * Reads one source again (an eventbus DATASOURCE_* frame) and publishes scan:status.
   * Reads may overlap with a cycle's: for each source, the answer of the later request wins.
   * One read per source at a time: frames that come meanwhile ask for one more read after it
   * (a flapping source costs Kismet two requests, not one per frame). A source Kismet does
   * not know (any more) is left to the next cycle's full list.
   */
  async refreshSource(uuid: string): Promise<void> {
    if (!this.#o.settings.enabled) return
    const running = this.#sourceRefreshes.get(uuid)
    if (running) {
      this.#sourceRefreshAgain.add(uuid)
      return running
    }
    const refresh = (async () => {
      do {
        this.#sourceRefreshAgain.delete(uuid)
        await this.#readSource(uuid)
      } while (this.#sourceRefreshAgain.has(uuid))
    })().finally(() => this.#sourceRefreshes.delete(uuid))
    this.#sourceRefreshes.set(uuid, refresh)
    return refresh
  }

  async #readSource(uuid: string): Promise<void> {
    const read = ++this.#sourceReads
    let source: KismetDatasource
    try {
      source = await this.#o.kismet.datasource(uuid)
    } catch (error) {
      if (isKismetError(error)) this.#o.stats.kismetErrors[error.kind] += 1
      this.#o.log.debug({ err: error, uuid }, 'datasource refresh failed; the next cycle reads every source')
      this.requestCycle()
      return
    }
    if ((this.#sourceRead.get(uuid) ?? 0) > read) return
    this.#sourceRead.set(uuid, read)
    const at = this.#sources.findIndex((known) => known['kismet.datasource.uuid'] === uuid)
    this.#sources = at < 0 ? [...this.#sources, source] : this.#sources.map((known, i) => (i === at ? source : known))
    this.#o.throttle.scanStatus(deriveScanStatus(this.#sources, this.#o.tracker.size))
  }

  /** Applies a cycle's full source list, but keeps a source read again since that list was asked for. */
  #applySources(sources: KismetDatasource[], read: number): void {
    const uuidOf = (source: KismetDatasource) => source['kismet.datasource.uuid']
    const fresher = new Map<string, { source: KismetDatasource; read: number }>()
    for (const known of this.#sources) {
      const knownRead = this.#sourceRead.get(uuidOf(known)) ?? 0
      if (knownRead > read) fresher.set(uuidOf(known), { source: known, read: knownRead })
    }
    const merged = sources.map((source) => fresher.get(uuidOf(source))?.source ?? source)
    const listed = new Set(sources.map(uuidOf))
    for (const [uuid, { source }] of fresher) if (!listed.has(uuid)) merged.push(source)
    this.#sources = merged
    this.#sourceRead = new Map(merged.map((source) => [uuidOf(source), fresher.get(uuidOf(source))?.read ?? read]))
  }

  /** Starts a full resync now (devices, alerts, status). Throws when Kismet is disabled. */
  refresh(): Promise<void> {
    if (!this.#o.settings.enabled) throw new Error('Kismet is disabled (KISMET_ENABLED=false)')
    // A cycle under way may have chosen an incremental read already (and clears the wish
    // when it ends): the resync runs right after it.
    const running = this.#inFlight
    if (running) return running.then(() => this.refresh())
    this.#resyncWanted = true
    return this.runCycle()
  }

  /**
   * Runs one poll cycle now unless one is already running (then waits for that one).
   * The next cycle is scheduled when this one ends.
   */
  runCycle(): Promise<void> {
    if (this.#inFlight) return this.#inFlight
    if (this.#cycleTimer) this.#o.clock.clearTimeout(this.#cycleTimer)
    this.#cycleTimer = undefined
    this.#inFlight = this.#cycle().finally(() => {
      this.#inFlight = undefined
    })
    return this.#inFlight
  }

  #scheduleCycle(delayMs: number): void {
    if (this.#stopped) return
    if (this.#cycleTimer) this.#o.clock.clearTimeout(this.#cycleTimer)
    this.#cycleTimer = this.#o.clock.setTimeout(() => {
      this.#cycleTimer = undefined
      void this.runCycle()
    }, delayMs)
  }

  #scheduleHeartbeat(): void {
    if (this.#stopped) return
    this.#heartbeatTimer = this.#o.clock.setTimeout(() => {
      this.#heartbeatTimer = undefined
      void this.#heartbeat()
    }, this.#o.settings.heartbeatIntervalMs)
  }

  async #heartbeat(): Promise<void> {
    try {
      // Between polls the loop already proves Kismet answers; the heartbeat only asks
      // when the loop is idle in the connected state, and always publishes the state.
      if (this.#state === 'connected' && !this.#inFlight) {
        try {
          await this.#o.kismet.serverTime()
        } catch (error) {
          // The next attempt waits for the backoff delay, not the poll interval.
          if (!this.#stopped && !this.#inFlight) this.#scheduleCycle(this.#fail(error))
        }
      }
      this.#publishSystemStatus()
    } finally {
      this.#scheduleHeartbeat()
    }
  }

  async #cycle(): Promise<void> {
    if (!this.#o.settings.enabled || this.#running) return
    this.#running = true
    const startedAt = this.#o.clock.now()
    let nextDelay = this.#intervalMs
    let failed = false
    try {
      const status = await this.#o.kismet.systemStatus()
      const serverNowSec = status['kismet.system.timestamp.sec']
      const startSec = status['kismet.system.timestamp.start_sec']
      const serverUuid = status['kismet.server.uuid']
      const restarted = this.#kismetStartSec !== undefined && startSec !== this.#kismetStartSec
      // Another server UUID is another key space: no device key of before can come back.
      const otherServer = this.#serverUuid !== undefined && serverUuid !== '' && this.#serverUuid !== '' && serverUuid !== this.#serverUuid
      // A sensor without a real-time clock restarts in the past; NTP can step a clock back.
      const clockWentBack = this.#lastDeviceQuerySec !== undefined && serverNowSec < this.#lastDeviceQuerySec
      if (restarted || clockWentBack || otherServer) {
        if (otherServer) this.#o.log.info({ previous: this.#serverUuid, now: serverUuid }, 'Kismet answers with another server UUID (another key space): resynchronising')
        else if (restarted) this.#o.log.info({ previousStart: this.#kismetStartSec, start: startSec }, 'Kismet restarted: resynchronising')
        else this.#o.log.info({ previous: this.#lastDeviceQuerySec, now: serverNowSec }, "Kismet's clock went back: resynchronising")
        this.#resyncWanted = true
        // Times read before say nothing about what comes now: read Kismet's whole alert
        // backlog again (50 by default); the ids already sent are dropped by the deduper.
        this.#lastAlertSec = 0
      }
      // A new Kismet process (or another server) holds none of the alerts held before.
      if (restarted || otherServer) this.#o.alerts.kismetRestarted()
      // A restarted Kismet (same key space) starts with an empty table and hears its devices
      // again over the next seconds and minutes: a device it has not heard yet has not left.
      // Until a resync completes, those stay until DEVICE_TTL_S after they were last heard,
      // unless their last time lies ahead of Kismet's clock (a clock that was set back: their
      // times mean nothing now). Another server's resync replaces the table.
      if (restarted) this.#restartPending = true
      if (otherServer) this.#restartPending = false
      this.#kismetStartSec = startSec
      if (serverUuid !== '') this.#serverUuid = serverUuid
      this.#kismetVersion = status['kismet.system.version']
      this.#sensor = sensorFacts(status)

      const resync = this.#resyncWanted || this.#lastDeviceQuerySec === undefined
      const batch = resync
        ? await this.#o.kismet.devicesSeenWithin(this.#o.settings.deviceTtlS, serverNowSec)
        : await this.#o.kismet.devicesSince(this.#lastDeviceQuerySec! - DEVICE_QUERY_OVERLAP_S)
      const alerts = await this.#o.kismet.alertsSince(this.#lastAlertSec)
      const sourcesRead = ++this.#sourceReads
      const sources = await this.#o.kismet.datasources()

      // Everything fetched: only now does the cycle change state, so a failure above
      // leaves the cursor where it was and the next cycle asks again.
      this.#lastDeviceQuerySec = serverNowSec
      this.#resyncWanted = false
      this.#o.stats.malformedRecords += batch.malformed + alerts.malformed
      const serverNowMs = serverNowSec * 1000
      // A device the eventbus announced while this cycle ran may have been created after
      // Kismet wrote the list: it has not left.
      const announced = this.#announced
      const keepUnlisted = this.#restartPending
        ? (device: WifiDevice) => device.lastSeen <= serverNowMs || announced.has(device.key)
        : (device: WifiDevice) => announced.has(device.key)
      const changes = resync ? this.#o.tracker.resync(batch.devices, keepUnlisted) : this.#o.tracker.ingest(batch.devices)
      if (resync) this.#restartPending = false
      const expired = this.#o.tracker.expire(serverNowMs)
      for (const event of changes) this.#o.throttle.device(event)
      for (const event of expired) this.#o.throttle.device(event)
      for (const alert of alerts.alerts) this.#o.alerts.take(alert)
      this.#lastAlertSec = Math.max(this.#lastAlertSec, alerts.latestTimestamp)
      this.#applySources(sources, sourcesRead)
      this.#o.throttle.scanStatus(deriveScanStatus(this.#sources, this.#o.tracker.size))
      await this.#readPosition()

      this.#lastPollAt = this.#o.clock.now()
      this.#o.stats.lastPollMs = this.#lastPollAt - startedAt
      if (this.#state !== 'connected') {
        this.#o.log.info(
          { kismet: this.#o.settings.kismetUrl, version: this.#kismetVersion, devices: this.#o.tracker.size },
          `Connected to Kismet${this.#named} ${this.#kismetVersion ?? ''} at ${this.#o.settings.kismetUrl}`,
        )
      }
      this.#retries = 0
      this.#authFailureLogged = false
      this.#outageLogged = false
      this.#setState('connected')
      this.#o.log.debug(
        { resync, devices: batch.devices.length, events: changes.length + expired.length, alerts: alerts.alerts.length, ms: this.#o.stats.lastPollMs },
        'poll cycle',
      )
    } catch (error) {
      // A cycle aborted by stop() is no Kismet failure: nothing to log or publish.
      if (!this.#stopped) nextDelay = this.#fail(error)
      failed = true
    } finally {
      this.#announced.clear()
      this.#o.stats.polls += 1
      this.#running = false
      this.#publishSystemStatus()
      const wanted = this.#cycleWanted && !failed
      this.#cycleWanted = false
      this.#scheduleCycle(wanted ? 0 : nextDelay)
    }
  }

  /**
   * Kismet's GPS position, at most every gpsIntervalMs: a sensor box moves at vehicle speed
   * at most, and its own marker is refreshed far less often (TAK_REFRESH_S), so one small
   * request every 10 s (the default) instead of one per cycle keeps it current without
   * doubling the requests of an idle poll. The positions of devices do not depend on it (they
   * come with every device record). A failed read is no failure of the cycle: the last
   * position stays, the error is counted by kind and logged once until a read succeeds.
   */
  async #readPosition(): Promise<void> {
    const interval = this.#o.settings.gpsIntervalMs
    if (interval <= 0) return
    const now = this.#o.clock.now()
    if (this.#positionReadAt !== undefined && now - this.#positionReadAt < interval) return
    this.#positionReadAt = now
    try {
      this.setPosition(await this.#o.kismet.gpsLocation())
      this.#gpsFailureLogged = false
    } catch (error) {
      if (this.#stopped) return
      if (isKismetError(error)) this.#o.stats.kismetErrors[error.kind] += 1
      if (!this.#gpsFailureLogged) {
        this.#gpsFailureLogged = true
        const reason = isKismetError(error) ? `${error.kind}: ${error.message}` : String(error)
        this.#o.log.warn({ kismet: this.#o.settings.kismetUrl, reason }, `Reading Kismet${this.#named}'s GPS position failed (${reason}); keeping the last one and trying again in ${Math.round(interval / 1000)} s`)
      }
    }
  }

  /** Records a failure and moves to backoff or auth_failed; returns the delay before the next attempt. */
  #fail(error: unknown): number {
    const kismetError: KismetError | undefined = isKismetError(error) ? error : undefined
    if (kismetError) this.#o.stats.kismetErrors[kismetError.kind] += 1
    else this.#o.log.error({ err: error }, 'Unexpected error in the poll cycle')
    this.#retries += 1
    // Whatever happened, the next successful cycle starts from a full resync so clients
    // catch up on what changed while Kismet was away.
    this.#resyncWanted = true
    const maxDelay = backoffDelay(this.#o.settings.maxRetries, this.#o.settings.retryDelayMs, this.#o.settings.maxRetries)
    if (kismetError?.kind === 'unauthorized') {
      if (!this.#authFailureLogged) {
        this.#authFailureLogged = true
        this.#o.log.error(
          { kismet: this.#o.settings.kismetUrl, status: kismetError.status, credential: this.#o.settings.credential?.sent },
          `${this.#authFailure(kismetError)} Retrying every ${Math.round(maxDelay / 1000)} s.`,
        )
      }
      this.#setState('auth_failed')
      return maxDelay
    }
    const delay = backoffDelay(this.#retries, this.#o.settings.retryDelayMs, this.#o.settings.maxRetries)
    // Retries are numbered from 1: the first failure schedules retry 1.
    const next = `retry ${this.#retries} in ${Math.round(delay / 1000)} s`
    const holding = this.#retries > this.#o.settings.maxRetries ? ' (holding at the longest delay; never giving up)' : ''
    const outage = kismetError?.kind === 'unreachable' || kismetError?.kind === 'timeout'
    const fields = { kind: kismetError?.kind, retry: this.#retries, retryInMs: delay }
    if (outage && !this.#outageLogged) {
      this.#outageLogged = true
      this.#o.log.warn(
        { kismet: this.#o.settings.kismetUrl, ...fields },
        `Kismet${this.#named} is not reachable at ${this.#o.settings.kismetUrl} (${kismetError.detail}). ` +
          `${next[0]!.toUpperCase()}${next.slice(1)}, then with a growing delay; the service keeps serving clients meanwhile. ` +
          `Check ${this.#o.settings.urlSetting ?? 'KISMET_API_URL'} if Kismet runs elsewhere. ` +
          'To see kismet-ws working without a Kismet, run `npm run demo` (simulated Kismet).',
      )
    } else if (outage) {
      this.#o.log.warn(fields, `Kismet${this.#named} still not reachable (${kismetError.detail}); ${next}${holding}`)
    } else {
      const reason = kismetError ? `${kismetError.kind}: ${kismetError.message}` : String(error)
      this.#o.log.warn(fields, `Kismet${this.#named} request failed (${reason}); ${next}${holding}`)
    }
    this.#setState('backoff')
    return delay
  }

  /** Kismet's 401 (or a proxy's 403), in the terms the credential was configured in. */
  #authFailure(error: KismetError): string {
    const where = `Kismet${this.#named} at ${this.#o.settings.kismetUrl}`
    const status = `HTTP ${error.status ?? 401}`
    const credential = this.#o.settings.credential
    if (credential === undefined) return `${where}: ${error.message}.`
    if (credential.sent === 'none') return `${where} requires a credential (${status}) and none was sent. ${credential.remedy}.`
    return `${where} refused ${credential.setting} (${status}): it is wrong, or was revoked. ${credential.remedy}.`
  }

  #setState(state: ConnectionState): void {
    const previous = this.#state
    if (state === previous) return
    this.#state = state
    for (const listener of this.#stateListeners) listener(state, previous)
    this.#publishSystemStatus()
  }

  #publishSystemStatus(): void {
    this.#o.throttle.systemStatus(this.systemStatus())
  }

  /** The sensor's own position from Kismet's GPS (null: no fix, or not known yet). */
  get position(): Location | null {
    return this.#position
  }

  /**
   * Kismet's GPS position of the sensor (null: no fix). Whoever learns it (a REST read of
   * /gps/location.json, the eventbus's GPS_LOCATION) hands it here; system:status carries it.
   */
  setPosition(position: Location | null): void {
    this.#position = position
  }

  systemStatus(): SystemStatusData {
    const memoryRss = process.memoryUsage.rss()
    return {
      kismet: this.link,
      service: { uptime: Math.round(process.uptime() * 1000) / 1000, clients: this.#o.clients(), memoryRss },
      ...(this.#sensor && { sensor: { ...this.#sensor, ...(this.#position && { position: this.#position }) } }),
    }
  }
}

/** How log lines name a sensor beside its URL: by name, unless it is the only, default one. */
export function namedInLogs(sensor: string): string {
  return sensor === 'default' ? '' : ` "${sensor}"`
}

/** Kismet reports its RSS in kB; battery only means something on battery power. */
function sensorFacts(status: KismetSystemStatus): SystemStatusData['sensor'] {
  const rssKb = Number(status['kismet.system.memory.rss']) || 0
  const percentage = Number(status['kismet.system.battery.percentage']) || 0
  const onMains = Number(status['kismet.system.battery.ac']) === 1
  return { memoryRss: rssKb * 1024, ...(!onMains && percentage > 0 && { battery: percentage }) }
}
