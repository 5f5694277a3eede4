// A Socket.IO client reduced to the protocol, for the fan-out load generator: Engine.IO v4
// over a WebSocket (RFC 6455) on a plain TCP socket, in the main namespace. It answers
// pings, sends events with acks and hands each received event message, as bytes, to the
// caller. Every socket of a process reads into one shared buffer (net's `onread`), so a
// received frame costs no allocation: 500 clients on the 2 cores that also run the server
// must cost less than the server they measure (ws and socket.io-client allocate and parse
// every frame; see fanout-client.ts for what the library client costs).
import { createHash, randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const
/** One read buffer for every socket of the process: a frame is handled before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(1 << 20)
const HEADER_END = Buffer.from('\r\n\r\n')
/** As socket.io-client's default `timeout`. */
const CONNECT_TIMEOUT_MS = 20_000

/** A masked client frame (RFC 6455 5.3: whatever a client sends is masked). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + 4 + length)
  frame[0] = 0x80 | opcode
  if (length < 126) frame[1] = 0x80 | length
  else if (length < 65536) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  const mask = randomBytes(4)
  mask.copy(frame, header)
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!
  return frame
}

/** The value of `name` in an HTTP response head (header names are case-insensitive). */
function headerValue(head: string, name: string): string | undefined {
  const prefix = `${name.toLowerCase()}:`
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(prefix))
  return line?.slice(prefix.length).trim()
}

export interface ProtocolClientOptions {
  /** The server's http:// URL. */
  url: string
  /** An event message (`42[...]`: Engine.IO message, Socket.IO event) as bytes, valid only during the call. */
  onEvent: (packet: Buffer) => void
  /** The connection broke the protocol or was closed by the server after it opened (counted by the caller). */
  onError: (error: Error) => void
}

export class ProtocolClient {
  readonly #o: ProtocolClientOptions
  readonly #socket: Socket
  readonly #key = randomBytes(16).toString('base64')
  #upgraded = false
  #open = false
  /** disconnect() was called: the close that follows is ours. */
  #closing = false
  /** Bytes of a frame (or of the upgrade response) not complete yet, copied out of the shared buffer. */
  #pending: Buffer | undefined
  #nextAck = 0
  readonly #acks = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  readonly #ready: Promise<void>
  #settle: { resolve: () => void; reject: (error: Error) => void } | undefined

  constructor(options: ProtocolClientOptions) {
    this.#o = options
    const { hostname, port } = new URL(options.url)
    this.#ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new Error(`no Socket.IO connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS)
      const done = () => clearTimeout(timer)
      this.#settle = {
        resolve: () => (done(), resolve()),
        reject: (error) => (done(), reject(error)),
      }
    })
    this.#socket = connect({
      host: hostname,
      port: Number(port),
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n) => {
          this.#onRead(READ_BUFFER.subarray(0, n))
          return true
        },
      },
    })
    this.#socket.on('connect', () => {
      this.#socket.write(
        `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.#key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
    this.#socket.on('error', (error) => this.#fail(error))
    this.#socket.on('close', () => this.#fail(new Error('connection closed')))
  }

  /** Resolves once the Socket.IO connection to the main namespace is open. */
  get ready(): Promise<void> {
    return this.#ready
  }

  get connected(): boolean {
    return this.#open
  }

  /** Emits `event` with `args` and an ack; resolves with the ack's first argument, rejects if the connection ends first. */
  request(event: string, args: unknown[]): Promise<unknown> {
    if (!this.#open) return Promise.reject(new Error('not connected'))
    return new Promise((resolve, reject) => {
      const id = this.#nextAck++
      this.#acks.set(id, { resolve, reject })
      this.#sendText(`42${id}${JSON.stringify([event, ...args])}`)
    })
  }

  /** Drops the connection at once (no closing handshake): whatever the server still had queued for it goes too. */
  disconnect(): void {
    this.#closing = true
    this.#socket.destroy()
  }

  /** Ends the connection for `error`: before it opened, `ready` rejects; after, the caller hears of it unless we closed it. */
  #fail(error: Error): void {
    const wasOpen = this.#open
    this.#open = false
    for (const ack of this.#acks.values()) ack.reject(error)
    this.#acks.clear()
    if (!this.#socket.destroyed) this.#socket.destroy()
    if (this.#settle) {
      this.#settle.reject(error)
      this.#settle = undefined
    } else if (wasOpen && !this.#closing) this.#o.onError(error)
  }

  #sendText(text: string): void {
    this.#socket.write(clientFrame(OPCODE.text, Buffer.from(text)))
  }

  #onRead(chunk: Buffer): void {
    let data = chunk
    if (this.#pending) {
      data = Buffer.concat([this.#pending, chunk])
      this.#pending = undefined
    }
    if (!this.#upgraded) {
      const end = data.indexOf(HEADER_END)
      if (end === -1) {
        this.#pending = Buffer.from(data)
        return
      }
      if (!this.#upgradeAccepted(data.toString('latin1', 0, end))) return
      this.#upgraded = true
      data = data.subarray(end + HEADER_END.length)
    }
    let at = 0
    while (data.length - at >= 2 && !this.#socket.destroyed) {
      const first = data[at]!
      const second = data[at + 1]!
      // A server frame is never masked and uses no extension (RFC 6455 5.1, 5.2).
      if ((first & 0x70) !== 0 || (second & 0x80) !== 0) return this.#fail(new Error('a masked frame or RSV bits from the server'))
      let length = second & 0x7f
      let header = 2
      if (length === 126) {
        if (data.length - at < 4) break
        length = data.readUInt16BE(at + 2)
        header = 4
      } else if (length === 127) {
        if (data.length - at < 10) break
        length = Number(data.readBigUInt64BE(at + 2))
        header = 10
      }
      if (data.length - at < header + length) break
      const payload = data.subarray(at + header, at + header + length)
      at += header + length
      // engine.io sends whole messages: a fragment means something else is talking.
      if ((first & 0x80) === 0) return this.#fail(new Error('a fragmented frame'))
      this.#onFrame(first & 0x0f, payload)
    }
    if (at < data.length && !this.#socket.destroyed) this.#pending = Buffer.from(data.subarray(at))
  }

  #upgradeAccepted(head: string): boolean {
    const expected = createHash('sha1').update(this.#key + WS_GUID).digest('base64')
    if (head.startsWith('HTTP/1.1 101') && headerValue(head, 'sec-websocket-accept') === expected) return true
    this.#fail(new Error(`upgrade refused: ${head.split('\r\n')[0]}`))
    return false
  }

  #onFrame(opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.ping) return void this.#socket.write(clientFrame(OPCODE.pong, payload))
    if (opcode === OPCODE.close) return this.#fail(new Error('closed by the server'))
    if (opcode !== OPCODE.text) return
    const engine = payload[0]
    if (engine === 0x32 /* '2' ping */) return this.#sendText('3')
    if (engine === 0x30 /* '0' open */) return this.#sendText('40')
    if (engine === 0x31 /* '1' close */) return this.#fail(new Error('engine.io close from the server'))
    if (engine !== 0x34 /* '4' message */) return
    const kind = payload[1]
    if (kind === 0x32 /* '2' event */) return this.#o.onEvent(payload)
    if (kind === 0x33 /* '3' ack */) {
      const text = payload.toString('utf8', 2)
      const bracket = text.indexOf('[')
      const id = Number(text.slice(0, bracket))
      const ack = this.#acks.get(id)
      this.#acks.delete(id)
      return ack?.resolve((JSON.parse(text.slice(bracket)) as unknown[])[0])
    }
    if (kind === 0x30 /* '0' connected */) {
      this.#open = true
      this.#settle?.resolve()
      this.#settle = undefined
    } else if (kind === 0x31 /* '1' disconnect */) this.#fail(new Error('disconnected by the server'))
    else if (kind === 0x34 /* '4' connect_error */) this.#fail(new Error(`connection refused: ${payload.toString()}`))
  }
}
