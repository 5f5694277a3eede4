// The Kismet REST client (SPEC 5, KISMET-API.md 1-3, 6): one method per request the poller
// makes, each answering typed data or throwing a KismetError — nothing else escapes.
//
// - The credential goes on every request: `Cookie: KISMET=<api key>`, else HTTP Basic.
// - Device, status and datasource requests are POSTs with `Content-Type: application/json`
//   and `{"fields": [...]}` (Kismet silently ignores a body of any other content type).
// - No retries here: the poller owns retry and backoff.
// - Bodies are read as bytes (capped), decoded as UTF-8 and parsed with JSON.parse, so a
//   truncated body, Kismet's `ERROR:` tail on a 200 or a wrong top-level shape is a
//   'bad_body' error, and one malformed record in a batch is skipped and counted.
// - Neither the API key nor the password ever reaches an error, a log or a callback: the
//   errors are built here from the status, our own path and sanitised text; got's error
//   (which carries the request options, headers included) is never attached.
import http from 'node:http'
import https from 'node:https'
import { performance } from 'node:perf_hooks'
import got, { type Method, type Progress } from 'got'
import type { Alert, WifiDevice } from '../events.js'
import { KismetError, type KismetErrorKind } from './errors.js'
import { toAlert, toWifiDevice } from './mapping.js'
import {
  DATASOURCE_FIELDS,
  DEVICE_FIELDS,
  STATUS_FIELDS,
  type FieldSpec,
  type KismetDatasource,
  type KismetSystemStatus,
} from './wire.js'

export interface KismetClientOptions {
  /** Kismet base URL; may carry a path prefix, e.g. http://host:2501/kismet */
  baseUrl: string
  /** Sent as `Cookie: KISMET=<key>` on every request. Wins over user/password. */
  apiKey?: string
  /** Else HTTP Basic on every request. */
  user?: string
  password?: string
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

export interface DeviceBatch {
  devices: WifiDevice[]
  /** Records that could not be mapped and were skipped. */
  malformed: number
}

export interface AlertBatch {
  alerts: Alert[]
  /** Raw Kismet seconds.micro of the newest alert received (malformed ones included), or the `since` given when none is newer. */
  latestTimestamp: number
  malformed: number
}

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
/** Devices per page of the initial load (Kismet's datatable mode caps at 500 too). */
export const DEVICE_PAGE_LENGTH = 500
/** A guard against a server whose paging never ends. */
const MAX_PAGES = 10_000

type KismetObject = Record<string, unknown>

interface RawResponse {
  status: number
  body: Buffer
}

function isObject(value: unknown): value is KismetObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function shapeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

export class KismetClient {
  readonly #base: URL
  readonly #headers: Record<string, string>
  readonly #secrets: string[]
  readonly #timeoutMs: number
  readonly #maxBytes: number
  readonly #onResponse: KismetClientOptions['onResponse']
  /** Per-request abort controllers of the requests in flight, aborted by close(). */
  readonly #inFlight = new Set<AbortController>()
  readonly #agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 4 }),
  }
  #closed = false

  constructor(options: KismetClientOptions) {
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

  /** GET /session/check_session: resolves when Kismet accepts the credential. */
  async checkSession(): Promise<void> {
    await this.#call('GET', '/session/check_session')
  }

  /** POST /system/status.json with STATUS_FIELDS. */
  async systemStatus(): Promise<KismetSystemStatus> {
    const path = '/system/status.json'
    const value = this.#parse(path, await this.#call('POST', path, { fields: STATUS_FIELDS }))
    if (!isObject(value)) throw this.#badBody(path, `expected an object, got ${shapeOf(value)}`)
    const num = (key: keyof KismetSystemStatus, required = false): number => {
      const v = value[key]
      if (typeof v === 'number' && Number.isFinite(v)) return v
      if (required) throw this.#badBody(path, `${key} is not a number`)
      return 0
    }
    const str = (key: keyof KismetSystemStatus): string => {
      const v = value[key]
      return typeof v === 'string' ? v : ''
    }
    return {
      'kismet.system.version': str('kismet.system.version'),
      'kismet.system.git': str('kismet.system.git'),
      'kismet.system.timestamp.sec': num('kismet.system.timestamp.sec', true),
      'kismet.system.timestamp.usec': num('kismet.system.timestamp.usec'),
      'kismet.system.timestamp.start_sec': num('kismet.system.timestamp.start_sec', true),
      'kismet.system.devices.count': num('kismet.system.devices.count'),
      'kismet.system.memory.rss': num('kismet.system.memory.rss'),
      'kismet.system.battery.percentage': num('kismet.system.battery.percentage'),
      'kismet.system.battery.ac': num('kismet.system.battery.ac'),
    }
  }

  /** GET /system/timestamp.json: Kismet's clock in epoch ms. */
  async serverTime(): Promise<number> {
    const path = '/system/timestamp.json'
    const value = this.#parse(path, await this.#call('GET', path))
    if (!isObject(value)) throw this.#badBody(path, `expected an object, got ${shapeOf(value)}`)
    const sec = value['kismet.system.timestamp.sec']
    const usec = value['kismet.system.timestamp.usec']
    if (typeof sec !== 'number' || !Number.isFinite(sec)) throw this.#badBody(path, 'kismet.system.timestamp.sec is not a number')
    const micros = typeof usec === 'number' && Number.isFinite(usec) ? usec : 0
    return sec * 1000 + Math.floor(micros / 1000)
  }

  /** POST /devices/last-time/{sinceSec}/devices.json: devices whose last_time > sinceSec (strict, whole seconds). */
  async devicesSince(sinceSec: number): Promise<DeviceBatch> {
    const since = Number.isFinite(sinceSec) ? Math.floor(sinceSec) : 0
    const path = `/devices/last-time/${since}/devices.json`
    const value = this.#parse(path, await this.#call('POST', path, { fields: DEVICE_FIELDS }))
    if (!Array.isArray(value)) throw this.#badBody(path, `expected an array of devices, got ${shapeOf(value)}`)
    const byKey = new Map<string, WifiDevice>()
    const malformed = collectDevices(value, byKey, undefined)
    return { devices: [...byKey.values()], malformed }
  }

  /**
   * The initial load: every device seen within `seconds` before `nowSec` (Kismet's clock).
   * POST /devices/views/all/devices.json?page=N&length=500 with {fields, last_time}, page by
   * page until last_page. A server that answers a plain array (before 2025-09-R1, paging is
   * ignored) has sent the whole list. Older devices are dropped here too, and devices are
   * de-duplicated by key (a live list can shift between pages; the newest record wins).
   */
  async devicesSeenWithin(seconds: number, nowSec: number): Promise<DeviceBatch> {
    const path = '/devices/views/all/devices.json'
    const cutoffSec = Math.floor(nowSec - seconds)
    const body = { fields: DEVICE_FIELDS, last_time: cutoffSec }
    const byKey = new Map<string, WifiDevice>()
    const cutoffMs = cutoffSec * 1000
    let malformed = 0
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ page: String(page), length: String(DEVICE_PAGE_LENGTH) })
      const value = this.#parse(path, await this.#call('POST', path, body, query))
      if (Array.isArray(value)) {
        malformed += collectDevices(value, byKey, cutoffMs)
        break
      }
      if (!isObject(value) || !Array.isArray(value.data)) {
        throw this.#badBody(path, `expected an array of devices or a page {data, last_page}, got ${shapeOf(value)}`)
      }
      const lastPage = value.last_page
      if (typeof lastPage !== 'number' || !Number.isFinite(lastPage)) throw this.#badBody(path, 'page without a numeric last_page')
      malformed += collectDevices(value.data, byKey, cutoffMs)
      if (value.data.length === 0 || page + 1 >= lastPage) break
    }
    return { devices: [...byKey.values()], malformed }
  }

  /** GET /alerts/last-time/{sec.usec}/alerts.json: alerts newer than `sinceSec` (absolute; 0 = all). */
  async alertsSince(sinceSec: number): Promise<AlertBatch> {
    // Kismet reads a negative value here as "everything", not as relative: clamp to 0.
    const since = Number.isFinite(sinceSec) && sinceSec > 0 ? sinceSec : 0
    const path = `/alerts/last-time/${since.toFixed(6)}/alerts.json`
    const value = this.#parse(path, await this.#call('GET', path))
    if (!Array.isArray(value)) throw this.#badBody(path, `expected an array of alerts, got ${shapeOf(value)}`)
    const alerts: Alert[] = []
    let malformed = 0
    let latestTimestamp = since
    for (const record of value as unknown[]) {
      if (isObject(record)) {
        const ts = record['kismet.alert.timestamp']
        if (typeof ts === 'number' && Number.isFinite(ts) && ts > latestTimestamp) latestTimestamp = ts
      }
      try {
        alerts.push(toAlert(record))
      } catch {
        malformed++
      }
    }
    return { alerts, latestTimestamp, malformed }
  }

  /** POST /datasource/all_sources.json with DATASOURCE_FIELDS. */
  async datasources(): Promise<KismetDatasource[]> {
    const path = '/datasource/all_sources.json'
    const value = this.#parse(path, await this.#call('POST', path, { fields: DATASOURCE_FIELDS }))
    if (!Array.isArray(value)) throw this.#badBody(path, `expected an array of datasources, got ${shapeOf(value)}`)
    return (value as unknown[]).map((record, i) => {
      if (!isObject(record) || typeof record['kismet.datasource.uuid'] !== 'string') {
        throw this.#badBody(path, `datasource ${i} has no uuid`)
      }
      const str = (key: keyof KismetDatasource): string => {
        const v = record[key]
        return typeof v === 'string' ? v : ''
      }
      const num = (key: keyof KismetDatasource): number => {
        const v = record[key]
        if (typeof v === 'number' && Number.isFinite(v)) return v
        return v === true ? 1 : 0
      }
      return {
        'kismet.datasource.uuid': str('kismet.datasource.uuid'),
        'kismet.datasource.name': str('kismet.datasource.name'),
        'kismet.datasource.interface': str('kismet.datasource.interface'),
        'kismet.datasource.running': num('kismet.datasource.running'),
        'kismet.datasource.paused': num('kismet.datasource.paused'),
        'kismet.datasource.error': num('kismet.datasource.error'),
        'kismet.datasource.error_reason': str('kismet.datasource.error_reason'),
        'kismet.datasource.hopping': num('kismet.datasource.hopping'),
        'kismet.datasource.channel': str('kismet.datasource.channel'),
        'kismet.datasource.hop_rate': num('kismet.datasource.hop_rate'),
        'kismet.datasource.num_packets': num('kismet.datasource.num_packets'),
      }
    })
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

  /** One HTTP exchange. Resolves with a 2xx answer; everything else becomes a KismetError. */
  async #call(
    method: Method,
    path: string,
    command?: { fields: readonly FieldSpec[]; [key: string]: unknown },
    query?: URLSearchParams,
  ): Promise<RawResponse> {
    if (this.#closed) throw this.#error('unreachable', path, `Kismet client is closed (${method} ${path})`)

    const url = new URL(this.#base.href)
    // A base without a path has pathname "/": join without doubling the slash (a proxy in
    // front of Kismet may not collapse "//").
    url.pathname = this.#base.pathname.replace(/\/+$/, '') + path
    if (query) url.search = query.toString()

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
      const request = got(url, {
        method,
        headers,
        body,
        signal: perRequest.signal,
        timeout: { request: this.#timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        decompress: false,
        responseType: 'buffer',
        agent: this.#agents,
      })
      // got's own 'response' event waits for the whole body; the native one marks the
      // moment Kismet answered, so a body cut short afterwards is told from no answer.
      request.on('request', (clientRequest: http.ClientRequest) => {
        clientRequest.once('response', (response: http.IncomingMessage) => {
          status = response.statusCode
        })
      })
      request.on('downloadProgress', (progress: Progress) => {
        bytes = progress.transferred
        if (progress.transferred > this.#maxBytes || (progress.total ?? 0) > this.#maxBytes) {
          tooLarge = true
          perRequest.abort()
        }
      })
      const response = await request
      status = response.statusCode
      bytes = response.rawBody.length
      report()
      return this.#checkStatus(method, path, { status: response.statusCode, body: response.rawBody })
    } catch (error) {
      if (error instanceof KismetError) throw error
      report()
      throw this.#fromTransport(method, path, error, { tooLarge, responded: status !== undefined, status })
    } finally {
      this.#inFlight.delete(perRequest)
    }
  }

  #checkStatus(method: Method, path: string, response: RawResponse): RawResponse {
    const { status } = response
    if (status >= 200 && status < 300) return response
    const detail = kismetErrorLine(response.body)
    if (status === 401 || status === 403) {
      throw this.#error('unauthorized', path, `Kismet refused the credential (HTTP ${status}) on ${method} ${path}`, status)
    }
    throw this.#error('http', path, `Kismet answered HTTP ${status} on ${method} ${path}${detail ? `: ${detail}` : ''}`, status)
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
      return this.#error('bad_body', path, `Kismet's answer to ${where} exceeds ${this.#maxBytes} bytes: aborted`, state.status)
    }
    if (this.#closed) return this.#error('unreachable', path, `Kismet client closed during ${where}`)
    const name = error instanceof Error ? error.name : ''
    if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
      return this.#error('timeout', path, `Kismet did not answer ${where} within ${this.#timeoutMs} ms`, state.status)
    }
    if (state.responded || name === 'ReadError') {
      return this.#error('bad_body', path, `Kismet's answer to ${where} was cut off (${code ?? 'read error'})`, state.status)
    }
    return this.#error('unreachable', path, `Kismet is unreachable (${code ?? (name || 'network error')}) on ${where}`)
  }

  /** JSON.parse of the body; anything else (empty, not JSON, truncated, an `ERROR:` tail) is 'bad_body'. */
  #parse(path: string, response: RawResponse): unknown {
    const text = response.body.toString('utf8')
    if (text.trim() === '') throw this.#badBody(path, 'empty body', response.status)
    try {
      return JSON.parse(text) as unknown
    } catch {
      const tail = kismetErrorLine(response.body)
      throw this.#badBody(
        path,
        tail ? `Kismet aborted the answer: ${tail}` : `body is not JSON or is truncated (${response.body.length} bytes)`,
        response.status,
      )
    }
  }

  #badBody(path: string, problem: string, status?: number): KismetError {
    return this.#error('bad_body', path, `Unusable answer from Kismet for ${path}: ${problem}`, status)
  }

  #error(kind: KismetErrorKind, path: string, message: string, status?: number): KismetError {
    return new KismetError(kind, path, this.#redact(message), status === undefined ? {} : { status })
  }

  #redact(text: string): string {
    let out = text
    for (const secret of this.#secrets) if (secret !== '') out = out.split(secret).join('***')
    return out
  }
}

/** Maps a list of device records into `byKey`, skipping (and counting) malformed ones and, with a cutoff, older ones. */
function collectDevices(records: readonly unknown[], byKey: Map<string, WifiDevice>, cutoffMs: number | undefined): number {
  let malformed = 0
  for (const record of records) {
    let device: WifiDevice
    try {
      device = toWifiDevice(record)
    } catch {
      malformed++
      continue
    }
    if (cutoffMs !== undefined && device.lastSeen < cutoffMs) continue
    const known = byKey.get(device.key)
    if (known === undefined || device.lastSeen >= known.lastSeen) byKey.set(device.key, device)
  }
  return malformed
}

/** Kismet's `ERROR: <reason>` text (a 500 body, or the tail of a 200 cut short), sanitised and shortened. */
function kismetErrorLine(body: Buffer): string | undefined {
  const tail = body.subarray(Math.max(0, body.length - 1024)).toString('utf8')
  const match = /ERROR:[^\n]*\n?\s*$/.exec(tail)
  if (!match) return undefined
  // eslint-disable-next-line no-control-regex
  return match[0].trim().replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200)
}

function errorCode(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined
}
