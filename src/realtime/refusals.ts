// Socket.IO connections the connection guard refuses, made visible to the operator: every
// refusal is counted by reason (ServiceStats.connectionsRefused, /stats, /metrics), and logged
// as a warning with the origin or the address and the reason — never the token — at most once
// per interval for one origin (an origin refusal) or one address (a token or cap refusal), with
// how many more there were since the previous line. A browser retrying every few seconds, or a
// flood, cannot fill the log; the number of origins and addresses remembered is bounded.
import type { Clock } from '../clock.js'

export const REFUSAL_REASONS = ['origin', 'token', 'address_cap'] as const
export type RefusalReason = (typeof REFUSAL_REASONS)[number]

/** The `connect_error` message a refused client gets (the README documents them). */
export const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  origin: 'origin not allowed',
  token: 'unauthorized',
  address_cap: 'too many connections from this address',
}

export interface Refusal {
  reason: RefusalReason
  /** The client's address as the server sees it. */
  address: string
  /** The Origin header, when the client sent one (browsers do). */
  origin?: string | undefined
  /** For a token refusal: whether a token was sent at all (its value is never logged). */
  tokenSent?: boolean
  /** For a cap refusal: the cap. */
  cap?: number
}

export interface RefusalLogOptions {
  log: { warn(obj: object, msg: string): void }
  clock: Clock
  /** At most one line per origin or address per interval (default one minute). */
  intervalMs?: number
  /** Origins and addresses remembered at once; beyond it new ones share one line per interval. */
  maxKeys?: number
}

export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 60_000
const DEFAULT_MAX_KEYS = 1000
/** An Origin header is the client's text: shown shortened. */
const MAX_ORIGIN_SHOWN = 200

interface Window {
  since: number
  /** Refusals not logged since `since`. */
  suppressed: number
}

export class RefusalLog {
  readonly #log: RefusalLogOptions['log']
  readonly #clock: Clock
  readonly #intervalMs: number
  readonly #maxKeys: number
  readonly #windows = new Map<string, Window>()
  /** Refusals of origins or addresses beyond maxKeys: one shared line per interval. */
  readonly #overflow: Window = { since: Number.NEGATIVE_INFINITY, suppressed: 0 }

  constructor(options: RefusalLogOptions) {
    this.#log = options.log
    this.#clock = options.clock
    this.#intervalMs = options.intervalMs ?? DEFAULT_REFUSAL_LOG_INTERVAL_MS
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  }

  refused(refusal: Refusal): void {
    const now = this.#clock.now()
    const origin = refusal.origin?.slice(0, MAX_ORIGIN_SHOWN)
    const key = refusal.reason === 'origin' ? `origin ${origin ?? ''}` : `${refusal.reason} ${refusal.address}`
    let window = this.#windows.get(key)
    if (window === undefined && this.#windows.size >= this.#maxKeys) this.#forgetExpired(now)
    if (window === undefined && this.#windows.size >= this.#maxKeys) {
      window = this.#overflow
    } else if (window === undefined) {
      window = { since: Number.NEGATIVE_INFINITY, suppressed: 0 }
      this.#windows.set(key, window)
    }
    if (now - window.since < this.#intervalMs) {
      window.suppressed += 1
      return
    }
    const repeated = window.suppressed
    window.since = now
    window.suppressed = 0
    const fields = { reason: refusal.reason, address: refusal.address, ...(origin !== undefined && { origin }), ...(repeated > 0 && { repeated }) }
    const more = repeated > 0 ? `; ${repeated} more like it since the previous line` : ''
    const shared = window === this.#overflow ? ' (too many distinct origins and addresses refused to log each one)' : ''
    const every = this.#intervalMs >= 60_000 && this.#intervalMs % 60_000 === 0 ? `${this.#intervalMs / 60_000} min` : `${this.#intervalMs / 1000} s`
    this.#log.warn(
      fields,
      `${describe(refusal, origin)}${more}${shared}. (At most one line per origin or address every ${every}; every refusal is counted in kismet_ws_connections_refused_total.)`,
    )
  }

  #forgetExpired(now: number): void {
    for (const [key, window] of this.#windows) if (now - window.since >= this.#intervalMs) this.#windows.delete(key)
  }
}

function describe(refusal: Refusal, origin: string | undefined): string {
  switch (refusal.reason) {
    case 'origin':
      return `Refused a Socket.IO connection from origin ${JSON.stringify(origin ?? '')} (address ${refusal.address}): not in CORS_ORIGIN`
    case 'token':
      return `Refused a Socket.IO connection from ${refusal.address}${origin ? ` (origin ${JSON.stringify(origin)})` : ''}: ${
        refusal.tokenSent ? 'wrong API token' : 'no API token in the handshake (auth: { token })'
      }`
    case 'address_cap':
      return `Refused a Socket.IO connection from ${refusal.address}: it has ${refusal.cap ?? 'the most'} connections already (the per-address cap)`
  }
}
