// Kismet's eventbus websocket for one sensor (KISMET-API.md 5.1, fixtures eventbus/*.json):
// the upgrade carries the REST credential (the transport's headers: the KISMET cookie or
// HTTP Basic), then one SUBSCRIBE per topic; every frame is parsed and handed on as a typed
// frame. Kismet sends TIMESTAMP every second, so a connection without one for
// EVENTBUS_DEAD_AFTER_MS is dead (a stalled proxy, a frozen Kismet) even if TCP says
// nothing. A lost connection is retried with a growing delay. An upgrade answered with an
// HTTP status instead of a switch to websocket (401, 404: an old Kismet, a proxy without
// websockets) is a refusal: polling alone, logged once, retried slowly. Nothing here polls
// or decides what a frame means; src/push.ts does.
import WebSocket from 'ws'
import { backoffDelay } from '../backoff.js'
import type { Clock, TimerHandle } from '../clock.js'
import type { KismetTransport } from './transport.js'
import { EVENTBUS_PATH, EVENTBUS_SUBSCRIPTIONS, EVENTBUS_TOPICS, type EventbusTopic } from './wire.js'

/** KISMET_EVENTBUS: `auto` uses the eventbus where Kismet offers it; `on` expects it (a refusal is an error, retried sooner); `off` never connects. */
export const EVENTBUS_MODES = ['auto', 'on', 'off'] as const
export type EventbusMode = (typeof EVENTBUS_MODES)[number]

/**
 * - `disabled`: not used (KISMET_EVENTBUS=off, Kismet disabled, or stopped);
 * - `connecting`: first attempt, or connected and waiting for the first TIMESTAMP;
 * - `connected`: subscribed, TIMESTAMP arriving (the only state in which pushes are trusted);
 * - `reconnecting`: lost (closed, unreachable, no TIMESTAMP): polling alone, retrying with backoff;
 * - `refused`: the upgrade was answered with an HTTP status: polling alone, retrying slowly.
 */
export const EVENTBUS_STATES = ['disabled', 'connecting', 'connected', 'reconnecting', 'refused'] as const
export type EventbusState = (typeof EVENTBUS_STATES)[number]

/** Kismet sends TIMESTAMP every second: three missed is a dead connection. */
export const EVENTBUS_DEAD_AFTER_MS = 3000
/** Reconnection delays: 1, 2, 4, 8, then 16 s for ever. */
export const EVENTBUS_RETRY_BASE_MS = 1000
export const EVENTBUS_RETRY_STEPS = 5
/** After a refusal in `auto` mode: whatever refused will not change soon. */
export const EVENTBUS_REFUSED_RETRY_MS = 5 * 60 * 1000
/** A frame larger than this closes the connection (a NEW_DEVICE with our fields is about 0.5 kB). */
export const EVENTBUS_MAX_FRAME_BYTES = 16 * 1024 * 1024

export interface EventbusFrame {
  topic: EventbusTopic
  /** The frame's value for this topic, straight from JSON.parse. */
  payload: unknown
}

export interface EventbusLog {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
}

/** One sensor's eventbus counters (/stats, /metrics). */
export class EventbusStats {
  /** Frames received, by topic. */
  readonly frames: Record<EventbusTopic, number> = zeroes(EVENTBUS_TOPICS)
  /** Frames that were not JSON, not an object keyed by a subscribed topic, or binary. */
  malformedFrames = 0
  bytesReceived = 0
  /** Upgrades Kismet accepted. */
  connects = 0
  /** Connection attempts after the first. */
  reconnects = 0
  /** Times the sensor went back to polling alone (the eventbus refused, lost or stalled). */
  fallbacks = 0
  /** Connections given up for want of TIMESTAMP. */
  stalls = 0
  /** Upgrades answered with an HTTP status (401, 404, ...). */
  refusals = 0
}

export interface EventbusOptions {
  /** The sensor's REST transport: the eventbus uses its URL and credential, and its redaction. */
  transport: Pick<KismetTransport, 'urlFor' | 'requestHeaders' | 'redact' | 'timeoutMs'>
  mode: EventbusMode
  clock: Clock
  log: EventbusLog
  /** How log lines name the sensor (' "north"', or '' for the only, default one). */
  named: string
  stats: EventbusStats
  /** Every frame of a subscribed topic but TIMESTAMP, in order. Should not throw. */
  onFrame: (frame: EventbusFrame) => void
  /** Pushes can be trusted (true) or not any more (false). */
  onHealth: (healthy: boolean) => void
}

/** Kismet's clock as TIMESTAMP carries it: only a real one proves the connection alive. */
function isTimestamp(payload: unknown): boolean {
  if (payload === null || typeof payload !== 'object') return false
  const sec = (payload as Record<string, unknown>)['kismet.system.timestamp.sec']
  return typeof sec === 'number' && Number.isFinite(sec)
}

export class KismetEventbus {
  readonly #o: EventbusOptions
  #state: EventbusState = 'disabled'
  #since: number
  #socket: WebSocket | undefined
  #attempts = 0
  /** Failed attempts since the last healthy connection (the backoff step). */
  #retries = 0
  #retryTimer: TimerHandle | undefined
  #watchdog: TimerHandle | undefined
  #stopped = true
  /** One log line per outage, one per refusal streak, one per bad connection. */
  #outageLogged = false
  #refusalLogged = false
  #malformedLogged = false
  /** Why the service itself ended the current connection (the watchdog), for the log line. */
  #endedBecause: string | undefined

  constructor(options: EventbusOptions) {
    this.#o = options
    this.#since = options.clock.now()
  }

  get state(): EventbusState {
    return this.#state
  }

  /** When the current state began (epoch ms, the service's clock). */
  get since(): number {
    return this.#since
  }

  get healthy(): boolean {
    return this.#state === 'connected'
  }

  /** The websocket URL (no credential: it travels in the upgrade's headers). */
  get url(): string {
    const url = this.#o.transport.urlFor(EVENTBUS_PATH)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    return url.href
  }

  start(): void {
    if (!this.#stopped || this.#o.mode === 'off') return
    this.#stopped = false
    this.#connect()
  }

  /** Closes the connection and drops every timer; nothing happens afterwards. Idempotent. */
  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#clearTimers()
    const socket = this.#socket
    this.#socket = undefined
    socket?.terminate()
    // Shutting down is no loss of health to act on: the polls stop too.
    this.#setState('disabled')
  }

  #connect(): void {
    if (this.#stopped) return
    if (this.#attempts > 0) this.#o.stats.reconnects += 1
    this.#attempts += 1
    if (this.#attempts === 1) this.#setState('connecting')
    this.#malformedLogged = false
    this.#endedBecause = undefined
    let refusedWith: number | undefined
    let failure = ''
    const socket = new WebSocket(this.url, {
      headers: this.#o.transport.requestHeaders(),
      handshakeTimeout: this.#o.transport.timeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
      maxPayload: EVENTBUS_MAX_FRAME_BYTES,
    })
    this.#socket = socket
    const current = () => this.#socket === socket && !this.#stopped

    socket.on('unexpected-response', (_request, response) => {
      refusedWith = response.statusCode ?? 0
      response.resume()
      // Ends the handshake: ws then emits 'error' and 'close', where the refusal is handled.
      socket.terminate()
    })
    socket.on('open', () => {
      if (!current()) return
      this.#o.stats.connects += 1
      for (const subscription of EVENTBUS_SUBSCRIPTIONS) socket.send(JSON.stringify(subscription))
      // The first TIMESTAMP proves the subscription works; until then, still connecting.
      this.#armWatchdog(socket)
    })
    socket.on('message', (data, isBinary) => {
      if (!current()) return
      this.#receive(socket, data, isBinary)
    })
    socket.on('error', (error: Error) => {
      failure = this.#o.transport.redact(error.message)
    })
    socket.on('close', (code: number) => {
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.#clearWatchdog()
      if (this.#stopped) return
      if (refusedWith !== undefined) this.#refused(refusedWith)
      else this.#lost(this.#endedBecause ?? (failure || `closed by Kismet (code ${code})`))
    })
  }

  #receive(socket: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    const stats = this.#o.stats
    const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength
    stats.bytesReceived += bytes
    if (isBinary) return this.#malformed('a binary frame', bytes)
    let value: unknown
    try {
      value = JSON.parse((Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8'))
    } catch {
      return this.#malformed('a frame that is not JSON', bytes)
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return this.#malformed('a frame that is not a JSON object', bytes)
    let known = 0
    for (const [key, payload] of Object.entries(value as Record<string, unknown>)) {
      if (!(EVENTBUS_TOPICS as readonly string[]).includes(key)) continue
      const topic = key as EventbusTopic
      if (topic === 'TIMESTAMP' && !isTimestamp(payload)) continue
      known += 1
      stats.frames[topic] += 1
      if (topic === 'TIMESTAMP') {
        this.#armWatchdog(socket)
        if (this.#state !== 'connected') this.#healthy()
        continue
      }
      try {
        this.#o.onFrame({ topic, payload })
      } catch (error) {
        this.#o.log.error({ err: error, topic }, 'Unexpected error handling an eventbus frame')
      }
    }
    if (known === 0) this.#malformed('a frame of no subscribed topic', bytes)
  }

  #malformed(what: string, bytes: number): void {
    this.#o.stats.malformedFrames += 1
    if (this.#malformedLogged) return
    this.#malformedLogged = true
    this.#o.log.warn({ eventbus: this.url, bytes }, `Kismet${this.#o.named}'s eventbus sent ${what} (${bytes} bytes): ignored and counted (stats: malformedFrames)`)
  }

  #healthy(): void {
    const recovered = this.#attempts > 1
    this.#retries = 0
    this.#outageLogged = false
    this.#refusalLogged = false
    this.#setState('connected')
    this.#o.log.info(
      { eventbus: this.url },
      `Kismet${this.#o.named}'s eventbus is ${recovered ? 'back' : 'connected'} at ${this.url}: alerts, new devices and source changes arrive at once`,
    )
    this.#o.onHealth(true)
  }

  #lost(reason: string): void {
    const wasHealthy = this.healthy
    if (this.#state === 'connected' || this.#state === 'connecting') this.#o.stats.fallbacks += 1
    this.#retries += 1
    const delay = backoffDelay(this.#retries, EVENTBUS_RETRY_BASE_MS, EVENTBUS_RETRY_STEPS)
    this.#setState('reconnecting')
    if (!this.#outageLogged) {
      this.#outageLogged = true
      this.#o.log.warn(
        { eventbus: this.url, reason, retryInMs: delay },
        `Kismet${this.#o.named}'s eventbus is not available (${reason}): polling alone until it is back; reconnecting with a growing delay`,
      )
    } else {
      this.#o.log.debug({ eventbus: this.url, reason, retryInMs: delay }, 'eventbus reconnection failed')
    }
    if (wasHealthy) this.#o.onHealth(false)
    this.#retryIn(delay)
  }

  #refused(status: number): void {
    const wasHealthy = this.healthy
    const stats = this.#o.stats
    stats.refusals += 1
    if (this.#state === 'connected' || this.#state === 'connecting') stats.fallbacks += 1
    this.#retries += 1
    const expected = this.#o.mode === 'on'
    const delay = expected ? backoffDelay(this.#retries, EVENTBUS_RETRY_BASE_MS, EVENTBUS_RETRY_STEPS) : EVENTBUS_REFUSED_RETRY_MS
    this.#setState('refused')
    if (!this.#refusalLogged) {
      this.#refusalLogged = true
      const why =
        status === 401 || status === 403
          ? 'the credential is not accepted for the websocket, or a proxy in front of Kismet asks for its own'
          : status === 404
            ? 'this Kismet predates the eventbus (2020-12-R1), or a proxy in front of it does not pass websockets'
            : 'a proxy in front of Kismet may not pass websockets'
      const retry = delay >= 60_000 ? `${Math.round(delay / 60_000)} min` : `${Math.round(delay / 1000)} s, with a growing delay`
      const line =
        `Kismet${this.#o.named}'s eventbus at ${this.url} refused the websocket upgrade (HTTP ${status}: ${why}). ` +
        `Polling alone (alerts and new devices wait for the next poll); retrying the eventbus in ${retry}.` +
        (expected ? '' : ' Set KISMET_EVENTBUS=off to stop trying.')
      if (expected) this.#o.log.error({ eventbus: this.url, status }, line)
      else this.#o.log.warn({ eventbus: this.url, status }, line)
    }
    if (wasHealthy) this.#o.onHealth(false)
    this.#retryIn(delay)
  }

  #retryIn(delay: number): void {
    if (this.#stopped) return
    if (this.#retryTimer) this.#o.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = undefined
      this.#connect()
    }, delay)
  }

  #armWatchdog(socket: WebSocket): void {
    this.#clearWatchdog()
    this.#watchdog = this.#o.clock.setTimeout(() => {
      this.#watchdog = undefined
      if (this.#socket !== socket) return
      this.#o.stats.stalls += 1
      this.#endedBecause = `no TIMESTAMP for ${EVENTBUS_DEAD_AFTER_MS / 1000} s`
      // terminate() closes at once; the 'close' handler then counts the loss and retries.
      socket.terminate()
    }, EVENTBUS_DEAD_AFTER_MS)
  }

  #clearWatchdog(): void {
    if (this.#watchdog) this.#o.clock.clearTimeout(this.#watchdog)
    this.#watchdog = undefined
  }

  #clearTimers(): void {
    this.#clearWatchdog()
    if (this.#retryTimer) this.#o.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }

  #setState(state: EventbusState): void {
    if (state === this.#state) return
    this.#state = state
    this.#since = this.#o.clock.now()
  }
}
