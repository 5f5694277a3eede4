// A Socket.IO client by hand: a raw websocket (the `ws` package socket.io itself uses)
// speaking the engine.io v4 / socket.io v5 protocol frame by frame. Hostile tests use it
// to send what socket.io-client refuses to (reserved event names, malformed packets, forged
// attachments) and to stop reading from the TCP socket while the server keeps sending.
import { createRequire } from 'node:module'

/** The part of the `ws` package used here (it ships no types of its own). */
interface WebSocketLike {
  readonly readyState: number
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'close', listener: (code: number, reason: Buffer) => void): void
  on(event: 'error', listener: (error: Error) => void): void
  once(event: 'open', listener: () => void): void
  send(data: string | Buffer, options?: { binary?: boolean }): void
  terminate(): void
  readonly _socket: { pause(): void; resume(): void } | null
}
type WebSocketConstructor = new (url: string, options?: { maxPayload?: number }) => WebSocketLike
const WebSocket = createRequire(import.meta.url)('ws') as WebSocketConstructor

export class RawClient {
  readonly ws: WebSocketLike
  /** Text frames received, in order (engine.io pings are answered, not kept). */
  readonly frames: string[] = []
  readonly closed: Promise<number>
  #waiters = new Set<() => void>()
  #isClosed = false

  private constructor(url: string) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`)
    this.ws.on('error', () => {})
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code) => {
        this.#isClosed = true
        resolve(code)
        this.#wake()
      }),
    )
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const text = data.toString()
      if (text === '2') {
        this.ws.send('3')
        return
      }
      this.frames.push(text)
      this.#wake()
    })
  }

  /** Opens the engine.io session and connects to the main namespace; resolves on the `connected` greeting. */
  static async connect(url: string, options: { timeoutMs?: number; token?: string } = {}): Promise<RawClient> {
    const timeoutMs = options.timeoutMs ?? 5000
    const client = new RawClient(url)
    await client.waitFrame((f) => f.startsWith('0{'), timeoutMs)
    client.send(options.token === undefined ? '40' : `40${JSON.stringify({ token: options.token })}`)
    await client.waitFrame((f) => f.startsWith('42["connected"'), timeoutMs)
    return client
  }

  get isClosed(): boolean {
    return this.#isClosed
  }

  send(frame: string | Buffer): void {
    if (this.ws.readyState !== 1) return
    this.ws.send(frame, { binary: typeof frame !== 'string' })
  }

  /** Resolves with the first frame (received so far or later) that matches; rejects on close or timeout. */
  waitFrame(match: (frame: string) => boolean, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.frames.find(match)
        if (found !== undefined) {
          finish()
          resolve(found)
          return true
        }
        if (this.#isClosed) {
          finish()
          reject(new Error('connection closed'))
          return true
        }
        return false
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${this.frames.slice(-3).join(' | ').slice(0, 300)}`))
      }, timeoutMs)
      const finish = () => {
        clearTimeout(timer)
        this.#waiters.delete(wake)
      }
      const wake = () => void check()
      if (!check()) this.#waiters.add(wake)
    })
  }

  /**
   * Whether the connection still serves: sends a ping with ack id `ackId` and resolves true
   * when the ack comes back, false when the server closed the connection instead.
   */
  async alive(ackId: number, timeoutMs = 5000): Promise<boolean> {
    if (this.#isClosed) return false
    this.send(`42${ackId}["ping",${ackId}]`)
    try {
      // The ack: the timestamp echoed, then the server's time.
      await this.waitFrame((f) => f.startsWith(`43${ackId}[${ackId},`), timeoutMs)
      return true
    } catch (error) {
      if (this.#isClosed) return false
      throw error
    }
  }

  /** Stops reading from the TCP socket: the kernel buffers fill, then the server's. */
  stopReading(): void {
    this.ws._socket?.pause()
  }

  resumeReading(): void {
    this.ws._socket?.resume()
  }

  terminate(): void {
    this.ws.terminate()
  }

  #wake(): void {
    for (const wake of [...this.#waiters]) wake()
  }
}
