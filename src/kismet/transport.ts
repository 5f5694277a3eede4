// HTTP to one Kismet server: the credential on every request, a timeout per request, a cap
// on the body, and typed errors (KismetError) with every secret redacted. It knows nothing
// of Kismet's endpoints; src/kismet/client.ts names them.
//
// - The credential is `Cookie: KISMET=<api key>`, else HTTP Basic (KISMET-API.md 1).
// - A command goes as a POST with `Content-Type: application/json` (Kismet silently ignores
//   a body of any other content type, KISMET-API.md 2.1).
// - No retries: the poller owns retry and backoff.
// - Bodies are read as bytes (capped), decoded as UTF-8 and parsed with JSON.parse, so a
//   truncated body or Kismet's `ERROR:` tail on a 200 is a 'bad_body' error.
// - Neither the API key nor the password reaches an error, a log or a callback: errors are
//   built here from the status, our own path and sanitised text; the HTTP layer's error
//   (which may carry the request, headers included) is never attached.
// - Node's own http client, not a request library: a poll cycle is four small requests per
//   sensor, and got spent about 0.8 ms of CPU on each where node:http spends 0.25 ms
//   (measured on the simulator), the largest fixed cost of a sensor's cycle. What got added
//   here (retries, redirects, decompression) is exactly what this transport turns off.
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import { KismetError, type KismetErrorKind } from './errors.js'

export type Method = 'GET' | 'POST'

export interface KismetCredential {
  /** Sent as `Cookie: KISMET=<key>` on every request. Wins over user/password. */
  apiKey?: string
  /** Else HTTP Basic on every request. */
  user?: string
  password?: string
}

export interface KismetTransportOptions extends KismetCredential {
  /** Kismet base URL; may carry a path prefix, e.g. http://host:2501/kismet */
  baseUrl: string
  /** Per request, connection to last byte. */
  timeoutMs: number
  /** Default 64 MiB: a bigger body is aborted -> KismetError 'bad_body'. */
  maxResponseBytes?: number
  /** Called for every HTTP answer received (any status), e.g. for a bytes-received counter. Must not throw (errors are ignored). */
  onResponse?: (info: ResponseInfo) => void
}

export interface ResponseInfo {
  /** The request path below the base URL, without the query string. */
  path: string
  status: number
  /** Body bytes received (as far as they were read). */
  bytes: number
  /** Milliseconds from sending the request to the end of the body. */
  ms: number
}

/** A Kismet command dictionary (`fields`, `last_time`, `devices`, ...), sent as JSON. */
export type KismetCommand = Record<string, unknown>

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

interface RawResponse {
  status: number
  body: Buffer
}

export class KismetTransport {
  readonly #base: URL
  readonly #headers: Record<string, string>
  readonly #secrets: string[]
  readonly #timeoutMs: number
  readonly #maxBytes: number
  readonly #onResponse: KismetTransportOptions['onResponse']
  /** Per-request abort controllers of the requests in flight, aborted by close(). */
  readonly #inFlight = new Set<AbortController>()
  readonly #agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 4 }),
  }
  #closed = false

  constructor(options: KismetTransportOptions) {
    let base: URL
    try {
      base = new URL(options.baseUrl)
    } catch {
      throw new TypeError('KismetClient: baseUrl is not a valid URL')
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError('KismetClient: baseUrl must be http: or https:')
    if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) throw new TypeError('KismetClient: timeoutMs must be a positive number')

    // Credentials written into the URL (http://user:pass@host) are taken out of it, so the
    // URL can be shown anywhere, and used as the Basic login when none is configured.
    let user = options.user
    let password = options.password
    if (base.username !== '' || base.password !== '') {
      if (user === undefined && password === undefined) {
        user = decodeURIComponent(base.username)
        password = decodeURIComponent(base.password)
      }
      base.username = ''
      base.password = ''
    }
    base.search = ''
    base.hash = ''
    base.pathname = base.pathname.replace(/\/+$/, '')
    this.#base = base

    this.#headers = { 'user-agent': 'kismet-ws', accept: 'application/json' }
    this.#secrets = []
    if (options.apiKey) {
      this.#headers.cookie = `KISMET=${options.apiKey}`
      this.#secrets.push(options.apiKey)
    } else if (user !== undefined || password !== undefined) {
      const token = Buffer.from(`${user ?? ''}:${password ?? ''}`, 'utf8').toString('base64')
      this.#headers.authorization = `Basic ${token}`
      this.#secrets.push(token)
      if (password) this.#secrets.push(password)
    }
    for (const secret of [...this.#secrets]) {
      const encoded = encodeURIComponent(secret)
      if (encoded !== secret) this.#secrets.push(encoded)
    }
    // Longest first, so a secret containing another is redacted whole.
    this.#secrets.sort((a, b) => b.length - a.length)

    this.#timeoutMs = options.timeoutMs
    this.#maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.#onResponse = options.onResponse
  }

  /** The base URL without credentials (safe to log). */
  get baseUrl(): string {
    return this.#base.href.replace(/\/$/, '')
  }

  /** Whether a credential is configured at all (a 401 then means "none sent", not "refused"). */
  get hasCredential(): boolean {
    return this.#secrets.length > 0
  }

  get timeoutMs(): number {
    return this.#timeoutMs
  }

  get closed(): boolean {
    return this.#closed
  }

  /** The absolute URL of a path below the base (a proxy in front of Kismet may not collapse "//"). */
  urlFor(path: string, query?: URLSearchParams): URL {
    const url = new URL(this.#base.href)
    url.pathname = this.#base.pathname.replace(/\/+$/, '') + path
    if (query) url.search = query.toString()
    return url
  }

  /** The headers every request carries, the credential included (for a websocket upgrade to the same server). */
  requestHeaders(): Record<string, string> {
    return { ...this.#headers }
  }

  /** `text` with every secret of this credential replaced by `***`. */
  redact(text: string): string {
    let out = text
    for (const secret of this.#secrets) if (secret !== '') out = out.split(secret).join('***')
    return out
  }

  /** A KismetError with its message (and detail) redacted. */
  error(kind: KismetErrorKind, path: string, message: string, status?: number, detail?: string): KismetError {
    return new KismetError(kind, path, this.redact(message), {
      ...(status !== undefined && { status }),
      ...(detail !== undefined && { detail: this.redact(detail) }),
    })
  }

  badBody(path: string, problem: string, status?: number): KismetError {
    return this.error('bad_body', path, `Unusable answer from Kismet for ${path}: ${problem}`, status)
  }

  /** One exchange whose 2xx body is JSON: resolves with the parsed value; everything else is a KismetError. */
  async json(method: Method, path: string, command?: KismetCommand, query?: URLSearchParams): Promise<unknown> {
    return this.#parse(path, await this.#call(method, path, command, query))
  }

  /** One exchange whose 2xx body is ignored (e.g. /session/check_session). */
  async exchange(method: Method, path: string): Promise<void> {
    await this.#call(method, path)
  }

  /** Aborts in-flight requests and closes idle connections; later calls fail with 'unreachable'. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const controller of this.#inFlight) controller.abort()
    this.#inFlight.clear()
    this.#agents.http.destroy()
    this.#agents.https.destroy()
  }

  // -------------------------------------------------------------------------------------

  async #call(method: Method, path: string, command?: KismetCommand, query?: URLSearchParams): Promise<RawResponse> {
    if (this.#closed) throw this.error('unreachable', path, `Kismet client is closed (${method} ${path})`)

    const url = this.urlFor(path, query)
    const headers: Record<string, string> = { ...this.#headers }
    let body: string | undefined
    if (command !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(command)
    }

    const perRequest = new AbortController()
    this.#inFlight.add(perRequest)
    const started = performance.now()
    let status: number | undefined
    let bytes = 0
    let tooLarge = false
    const report = (): void => {
      if (status === undefined || this.#onResponse === undefined) return
      try {
        this.#onResponse({ path, status, bytes, ms: Math.round(performance.now() - started) })
      } catch {
        // a counter callback must not turn a good answer into a failure
      }
    }

    try {
      const response = await this.#send(method, url, headers, body, perRequest, {
        onStatus: (code) => (status = code),
        allows: (length) => {
          if (length > this.#maxBytes) tooLarge = true
          return !tooLarge
        },
        onBytes: (received) => (bytes = received),
      })
      report()
      return this.#checkStatus(method, path, response)
    } catch (error) {
      if (error instanceof KismetError) throw error
      report()
      throw this.#fromTransport(method, path, error, { tooLarge, responded: status !== undefined, status })
    } finally {
      this.#inFlight.delete(perRequest)
    }
  }

  /**
   * One HTTP exchange, connection to last byte within the timeout. `onStatus` marks the
   * moment Kismet answered (a body cut short afterwards is told from no answer); `onBytes`
   * sees the body grow; `allows` is asked about the declared length and each new length,
   * and stops the exchange by saying no.
   *
   * A kept-alive connection that Kismet closed while it was idle (its keep-alive timeout)
   * can be picked for the next request just before the close is seen: that request fails
   * with a reset before Kismet read it. It is sent once more on a new connection (what
   * Node's documentation advises, `request.reusedSocket`); this is no retry of anything
   * Kismet answered or refused.
   */
  #send(
    method: Method,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    controller: AbortController,
    watch: { onStatus(status: number): void; onBytes(bytes: number): void; allows(length: number): boolean },
    resent = false,
  ): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const secure = url.protocol === 'https:'
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
      const request = (secure ? https : http).request(url, { method, headers, agent: secure ? this.#agents.https : this.#agents.http, signal: controller.signal })
      let settled = false
      let answered = false
      const fail = (error: unknown): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        request.destroy()
        reject(error)
      }
      const timer = setTimeout(() => fail(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })), this.#timeoutMs)
      request.on('error', (error) => {
        if (!settled && !answered && !resent && request.reusedSocket && isStaleConnection(error)) {
          settled = true
          clearTimeout(timer)
          resolve(this.#send(method, url, headers, body, controller, watch, true))
          return
        }
        fail(error)
      })
      request.on('response', (response) => {
        answered = true
        watch.onStatus(response.statusCode ?? 0)
        const declared = Number(response.headers['content-length'])
        if (Number.isFinite(declared) && !watch.allows(declared)) return fail(new Error('answer too large'))
        const chunks: Buffer[] = []
        let received = 0
        response.on('data', (chunk: Buffer) => {
          received += chunk.length
          watch.onBytes(received)
          if (!watch.allows(received)) return fail(new Error('answer too large'))
          chunks.push(chunk)
        })
        response.on('error', fail)
        response.on('end', () => {
          // 'end' after the whole body only: a connection closed early ends in 'error' or 'close'.
          if (settled) return
          settled = true
          clearTimeout(timer)
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks, received) })
        })
        response.on('close', () => {
          if (!response.complete) fail(Object.assign(new Error('answer cut off'), { code: 'ECONNRESET' }))
        })
      })
      request.end(body)
    })
  }

  #checkStatus(method: Method, path: string, response: RawResponse): RawResponse {
    const { status } = response
    if (status >= 200 && status < 300) return response
    const detail = kismetErrorLine(response.body)
    if (status === 401 || status === 403) {
      const what = this.hasCredential ? 'refused the credential' : 'requires a credential and none is configured'
      throw this.error('unauthorized', path, `Kismet ${what} (HTTP ${status}) on ${method} ${path}`, status)
    }
    throw this.error('http', path, `Kismet answered HTTP ${status} on ${method} ${path}${detail ? `: ${detail}` : ''}`, status)
  }

  #fromTransport(
    method: Method,
    path: string,
    error: unknown,
    state: { tooLarge: boolean; responded: boolean; status: number | undefined },
  ): KismetError {
    const code = errorCode(error)
    const where = `${method} ${path}`
    if (state.tooLarge) {
      return this.error('bad_body', path, `Kismet's answer to ${where} exceeds ${this.#maxBytes} bytes: aborted`, state.status)
    }
    if (this.#closed) return this.error('unreachable', path, `Kismet client closed during ${where}`)
    const name = error instanceof Error ? error.name : ''
    if (code === 'ETIMEDOUT') {
      return this.error('timeout', path, `Kismet did not answer ${where} within ${this.#timeoutMs} ms`, state.status, `no answer to ${where} within ${this.#timeoutMs} ms`)
    }
    if (state.responded) {
      return this.error('bad_body', path, `Kismet's answer to ${where} was cut off (${code ?? 'read error'})`, state.status)
    }
    const cause = code ?? (name || 'network error')
    return this.error('unreachable', path, `Kismet is unreachable (${cause}) on ${where}`, undefined, `${cause} on ${where}`)
  }

  /** JSON.parse of the body; anything else (empty, not JSON, truncated, an `ERROR:` tail) is 'bad_body'. */
  #parse(path: string, response: RawResponse): unknown {
    const text = response.body.toString('utf8')
    if (text.trim() === '') throw this.badBody(path, 'empty body', response.status)
    try {
      return JSON.parse(text) as unknown
    } catch {
      const tail = kismetErrorLine(response.body)
      throw this.badBody(
        path,
        tail ? `Kismet aborted the answer: ${tail}` : `body is not JSON or is truncated (${response.body.length} bytes)`,
        response.status,
      )
    }
  }
}

/** Kismet's `ERROR: <reason>` text (a 500 body, or the tail of a 200 cut short), sanitised and shortened. */
function kismetErrorLine(body: Buffer): string | undefined {
  const tail = body.subarray(Math.max(0, body.length - 1024)).toString('utf8')
  const match = /ERROR:[^\n]*\n?\s*$/.exec(tail)
  if (!match) return undefined
  // eslint-disable-next-line no-control-regex
  return match[0].trim().replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200)
}

/** The errors of a request written to a connection the server had already closed. */
function isStaleConnection(error: unknown): boolean {
  const code = errorCode(error)
  return code === 'ECONNRESET' || code === 'EPIPE'
}

function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined
}
