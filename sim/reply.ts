// Writing Kismet's answers: handler responses are chunked (no Content-Length) with Kismet's
// cache headers, error pages carry a Content-Length, big arrays are streamed in chunks with
// back-pressure. The body faults that need the real answer (truncated, huge) are applied
// here, on the way out.
import type { ServerResponse } from 'node:http'
import { STANDARD_HEADERS } from './pages.js'

/** Faults that transform a 200 JSON answer instead of replacing it. */
export type BodyFault = { kind: 'truncated' } | { kind: 'huge'; bytes: number }

const CHUNK_BYTES = 64 * 1024

/** What Kismet appends when a handler throws after output began (then the stream ends). */
export const TRUNCATION_TAIL = '\nERROR: simulated handler failure after output began\n'

export interface ReplyOptions {
  contentType: string
  lastModified: string
  fault: BodyFault | null
}

export class Reply {
  readonly #res: ServerResponse
  readonly #options: ReplyOptions
  /** Set by the auth step: the Set-Cookie Kismet sends with every handler response. */
  setCookie: string | null = null
  /** Fake-but-realistic extra array items for the `huge` fault (device lists set this). */
  filler: (() => Iterator<string>) | null = null
  #status = 0
  #bytes = 0
  #waitMs = 0
  /** Text not yet handed to the socket (flushed in ~64 kB chunks). */
  #pending = ''
  /** The whole body, kept only while a `truncated` fault is pending. */
  #captured: string[] | null = null

  constructor(res: ServerResponse, options: ReplyOptions) {
    this.#res = res
    this.#options = options
  }

  get status(): number {
    return this.#status
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Time spent waiting for the client to drain (not the simulator's own work). */
  get waitMs(): number {
    return this.#waitMs
  }

  get finished(): boolean {
    return this.#status !== 0 && this.#res.writableEnded
  }

  /** A Kismet error page (401/404/405): text/html with a Content-Length, no cache headers. */
  page(status: number, html: string): void {
    this.#status = status
    const body = Buffer.from(html, 'utf8')
    this.#res.writeHead(status, { Server: 'Kismet', 'Content-Type': 'text/html', 'Content-Length': body.length })
    this.#res.end(body)
    this.#bytes += body.length
  }

  /** A handler answer with a text body (session endpoints, ERROR: bodies, `{}`). */
  async text(status: number, body: string | Buffer, contentType = this.#options.contentType): Promise<void> {
    this.#head(status, contentType)
    await this.#write(body, false)
    await this.#end()
  }

  /** A handler answer that is one JSON value. */
  async json(status: number, value: unknown): Promise<void> {
    this.#startJson(status)
    await this.#write(JSON.stringify(value), true)
    await this.#endJson(false)
  }

  /**
   * A JSON array streamed from serialised items, optionally wrapped (pagination: the array is
   * the "data" member of an object).
   */
  async jsonArray(items: Iterable<string>, wrap?: { before: string; after: string }): Promise<void> {
    this.#startJson(200)
    this.#append(wrap ? `${wrap.before}[` : '[')
    let first = true
    // Items are appended synchronously and flushed in ~64 kB chunks: one await per chunk, not per record.
    for (const item of items) {
      this.#append(first ? item : `,${item}`)
      first = false
      if (this.#pending.length >= CHUNK_BYTES) await this.#flush()
    }
    const fault = this.#options.fault
    if (fault?.kind === 'huge' && this.filler) {
      const extra = this.filler()
      while (this.#bytes + this.#pending.length < fault.bytes) {
        const next = extra.next()
        if (next.done) break
        this.#append(first ? next.value : `,${next.value}`)
        first = false
        if (this.#pending.length >= CHUNK_BYTES) await this.#flush()
      }
    }
    this.#append(wrap ? `]${wrap.after}` : ']')
    await this.#endJson(true)
  }

  #head(status: number, contentType: string): void {
    this.#status = status
    const res = this.#res
    res.statusCode = status
    res.setHeader('Server', 'Kismet')
    res.setHeader('Content-Type', contentType)
    res.setHeader('Last-Modified', this.#options.lastModified)
    if (this.setCookie !== null) res.setHeader('Set-Cookie', this.setCookie)
    for (const [name, value] of STANDARD_HEADERS) res.setHeader(name, value)
  }

  #startJson(status: number): void {
    this.#head(status, this.#options.contentType)
    if (status === 200 && this.#options.fault?.kind === 'truncated') this.#captured = []
  }

  async #endJson(streamedArray: boolean): Promise<void> {
    const fault = this.#options.fault
    if (this.#captured !== null) {
      // Cut the real answer in the middle and end it the way Kismet does when a handler throws.
      const whole = this.#captured.join('')
      this.#captured = null
      await this.#write(whole.slice(0, Math.max(1, Math.floor(whole.length / 2))) + TRUNCATION_TAIL, false)
    } else if (fault?.kind === 'huge' && this.#status === 200) {
      // Objects (and arrays without a filler) are padded with JSON whitespace: still valid JSON.
      const missing = fault.bytes - this.#bytes - Buffer.byteLength(this.#pending)
      if (missing > 0 && (!streamedArray || this.filler === null)) await this.#pad(missing)
    }
    await this.#end()
  }

  async #pad(bytes: number): Promise<void> {
    const block = ' '.repeat(Math.min(bytes, CHUNK_BYTES))
    let left = bytes
    while (left > 0) {
      const size = Math.min(left, block.length)
      await this.#write(size === block.length ? block : block.slice(0, size), false)
      left -= size
    }
  }

  /** Adds JSON text to the answer (or to the captured copy while a truncation is pending). */
  #append(text: string): void {
    if (this.#captured !== null) this.#captured.push(text)
    else this.#pending += text
  }

  async #write(chunk: string | Buffer, capturable: boolean): Promise<void> {
    if (typeof chunk !== 'string') {
      await this.#flush()
      await this.#send(chunk)
      return
    }
    if (capturable) this.#append(chunk)
    else this.#pending += chunk
    if (this.#pending.length >= CHUNK_BYTES) await this.#flush()
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return
    const chunk = Buffer.from(this.#pending, 'utf8')
    this.#pending = ''
    await this.#send(chunk)
  }

  async #send(chunk: Buffer): Promise<void> {
    const res = this.#res
    if (res.destroyed || chunk.length === 0) return
    this.#bytes += chunk.length
    if (res.write(chunk)) return
    const started = performance.now()
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done)
        res.off('close', done)
        resolve()
      }
      res.on('drain', done)
      res.on('close', done)
    })
    this.#waitMs += performance.now() - started
  }

  async #end(): Promise<void> {
    await this.#flush()
    if (!this.#res.writableEnded) this.#res.end()
  }
}
