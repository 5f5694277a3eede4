// CoT over one persistent TCP or TLS connection to a TAK server (8087/8088 plain, 8089 TLS):
// bare `<event>`s back to back, no XML declaration and nothing between them (what TAK
// servers and ATAK split on). Whatever the server sends (other clients' traffic, protocol
// offers, ping replies) is read and discarded, so the connection never stalls on our side.
// A keepalive ping (t-x-c-t) goes out when nothing else did for KEEPALIVE_MS, and the OS's
// TCP keepalive is on, so a dead link is noticed. When the connection fails it is opened
// again after a growing, jittered delay; the current markers are sent again on every
// (re)connection. While it is down or the server reads slowly, events wait in a bounded
// latest-per-uid queue; the socket itself is given at most one write beyond its
// high-water mark. A server that reads nothing for STALL_MS is given up on and reconnected.
import type { Socket } from 'node:net'
import type { Clock, TimerHandle } from '../../clock.js'
import type { TakStatusData } from '../../events.js'
import { pingEvent } from '../cot.js'
import type { CotMessage } from '../markers.js'
import { describeError, OutputStatus, type StatusListener, type TakOutput } from './output.js'
import { LatestPerUidQueue } from './queue.js'
import { retryDelay } from './reconnect.js'

export const KEEPALIVE_MS = 15_000
export const CONNECT_TIMEOUT_MS = 10_000
export const STALL_MS = 60_000
/** A connection that lasted this long was a good one: the next failure starts the backoff again. */
export const STABLE_MS = 30_000

export interface StreamOutputOptions {
  name: 'tcp' | 'tls'
  /** host:port, for status. */
  target: string
  /** Opens the connection; `ready` is the socket event after which it may be written to. */
  open: () => { socket: Socket; ready: 'connect' | 'secureConnect' }
  clock: Clock
  /** The markers live now: sent again after every (re)connection. */
  snapshot: () => CotMessage[]
  queueCapacity: number
  pingUid: string
  onStatus: StatusListener
  random?: () => number
}

export class StreamOutput implements TakOutput {
  readonly name: 'tcp' | 'tls'
  readonly #o: StreamOutputOptions
  readonly #status: OutputStatus
  readonly #queue: LatestPerUidQueue
  #socket: Socket | undefined
  /** Whether the current socket reported an error (else its close is the server's doing). */
  #socketFailed = false
  #writable = false
  #attempts = 0
  #lastWriteAt = 0
  /** Since when the socket's buffer has been full (undefined: it is not). */
  #fullSince: number | undefined
  #retryTimer: TimerHandle | undefined
  #connectTimer: TimerHandle | undefined
  #keepaliveTimer: TimerHandle | undefined
  #closed = false

  constructor(options: StreamOutputOptions) {
    this.#o = options
    this.name = options.name
    this.#status = new OutputStatus(options.name, options.target)
    this.#queue = new LatestPerUidQueue(options.queueCapacity)
  }

  start(): void {
    if (this.#closed || this.#socket) return
    this.#setState('connecting')
    let opened: ReturnType<StreamOutputOptions['open']>
    try {
      opened = this.#o.open()
    } catch (error) {
      this.#noteError(error)
      this.#scheduleRetry()
      return
    }
    const { socket, ready } = opened
    this.#socket = socket
    this.#socketFailed = false
    socket.setNoDelay(true)
    socket.setKeepAlive(true, KEEPALIVE_MS)
    // Read and discard: a TAK server pushes other clients' traffic, and an unread socket stalls.
    socket.on('data', (chunk: Buffer) => {
      this.#status.bytesReceived += chunk.length
    })
    socket.on('drain', () => {
      if (this.#socket !== socket) return
      this.#fullSince = undefined
      this.#flush()
    })
    socket.on('error', (error) => {
      if (this.#socket !== socket) return
      this.#socketFailed = true
      this.#noteError(error)
    })
    socket.on('close', () => this.#lost(socket))
    socket.once(ready, () => this.#connected(socket))
    this.#connectTimer = this.#o.clock.setTimeout(() => {
      this.#connectTimer = undefined
      if (this.#socket === socket && !this.#writable) socket.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS / 1000} s`))
    }, CONNECT_TIMEOUT_MS)
  }

  send(message: CotMessage): void {
    if (this.#writable && this.#queue.size === 0 && this.#fullSince === undefined) this.#write(message.xml, true)
    else this.#status.dropped += this.#queue.push(message)
    this.#o.onStatus(this.name, false)
  }

  status(): TakStatusData {
    return this.#status.snapshot(this.#queue.size)
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const timer of [this.#retryTimer, this.#connectTimer, this.#keepaliveTimer]) if (timer) this.#o.clock.clearTimeout(timer)
    this.#retryTimer = this.#connectTimer = this.#keepaliveTimer = undefined
    const socket = this.#socket
    this.#socket = undefined
    this.#writable = false
    if (socket && !socket.destroyed) {
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      socket.destroy()
      await closed
    }
    this.#setState('closed')
  }

  #connected(socket: Socket): void {
    if (this.#socket !== socket) return
    if (this.#connectTimer) this.#o.clock.clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#writable = true
    this.#fullSince = undefined
    this.#status.connects += 1
    this.#status.connectedAt = this.#o.clock.now()
    this.#setState('connected')
    // The markers live now, after what was queued for uids that are gone (deletes).
    for (const message of this.#o.snapshot()) this.#status.dropped += this.#queue.push(message)
    this.#lastWriteAt = this.#o.clock.now()
    this.#flush()
    this.#scheduleKeepalive()
  }

  #write(xml: string, counts: boolean): void {
    const socket = this.#socket
    if (!socket) return
    const bytes = Buffer.byteLength(xml, 'utf8')
    const more = socket.write(xml)
    this.#lastWriteAt = this.#o.clock.now()
    if (counts) {
      this.#status.sent += 1
      this.#status.bytesSent += bytes
    }
    if (!more && this.#fullSince === undefined) this.#fullSince = this.#o.clock.now()
  }

  /** Writes queued events until the socket's buffer is full. */
  #flush(): void {
    while (this.#writable && this.#fullSince === undefined) {
      const message = this.#queue.shift()
      if (!message) break
      this.#write(message.xml, true)
    }
    this.#o.onStatus(this.name, false)
  }

  #scheduleKeepalive(): void {
    this.#keepaliveTimer = this.#o.clock.setTimeout(() => {
      this.#keepaliveTimer = undefined
      const socket = this.#socket
      if (!socket || !this.#writable) return
      const now = this.#o.clock.now()
      if (this.#fullSince !== undefined && now - this.#fullSince >= STALL_MS) {
        socket.destroy(new Error(`the server read nothing for ${STALL_MS / 1000} s`))
        return
      }
      if (this.#fullSince === undefined && now - this.#lastWriteAt >= KEEPALIVE_MS) this.#write(pingEvent(this.#o.pingUid, now), false)
      this.#scheduleKeepalive()
    }, KEEPALIVE_MS)
  }

  #lost(socket: Socket): void {
    if (this.#socket !== socket) return
    const upFor = this.#status.connectedAt === null || !this.#writable ? 0 : this.#o.clock.now() - this.#status.connectedAt
    this.#socket = undefined
    this.#writable = false
    this.#fullSince = undefined
    for (const timer of [this.#connectTimer, this.#keepaliveTimer]) if (timer) this.#o.clock.clearTimeout(timer)
    this.#connectTimer = this.#keepaliveTimer = undefined
    if (this.#closed) return
    if (upFor >= STABLE_MS) this.#attempts = 0
    if (!this.#socketFailed) this.#noteError(new Error('the server closed the connection'))
    this.#status.connectedAt = null
    this.#scheduleRetry()
  }

  #scheduleRetry(): void {
    this.#attempts += 1
    this.#setState('backoff')
    this.#retryTimer = this.#o.clock.setTimeout(() => {
      this.#retryTimer = undefined
      this.start()
    }, retryDelay(this.#attempts, this.#o.random ?? Math.random))
  }

  #noteError(error: unknown): void {
    this.#status.lastError = describeError(error)
    this.#status.lastErrorAt = this.#o.clock.now()
  }

  #setState(state: OutputStatus['state']): void {
    const changed = this.#status.state !== state
    this.#status.state = state
    if (changed) this.#o.onStatus(this.name, true)
  }
}
