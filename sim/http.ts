// The HTTP side of the simulator: a node:http server that strips the URI prefix, routes
// (404/405 pages before auth, as Kismet's router does), authenticates, applies injected
// faults and latency, runs the endpoint and keeps traffic statistics. Websocket upgrades go
// the same way (404 for another path, 401 without a valid credential, both as plain HTTP
// before any upgrade) to the eventbus (sim/eventbus.ts).
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { EVENTBUS_PATH } from '../src/kismet/wire.js'
import { authenticate, type Credentials, type JwtIssuer } from './auth.js'
import type { SimEventbus } from './eventbus.js'
import { notFoundPage, statusPage, UNAUTHORIZED_PAGE, WRONG_METHOD_PAGE } from './pages.js'
import { Prng } from './prng.js'
import { Reply, type BodyFault } from './reply.js'
import { parseCommand, readBody } from './request.js'
import { matchRoute, ROUTES, runRoute, type Route, type SimBackend } from './routes.js'
import { secondsOf } from './render-system.js'
import type { SimFault, SimFaultOptions, SimRequestLogEntry, SimStats } from './types.js'

const REQUEST_LOG_LIMIT = 1000

interface ActiveFault {
  fault: SimFault
  paths: RegExp | null
  remaining: number
}

export interface HttpOptions {
  prefix: string
  credentials: Credentials
  jwt: JwtIssuer
  seed: number
  eventbus: SimEventbus
}

/** Secrets never go into the request log. */
function maskSecrets(url: string): string {
  return url.replace(/([?&](?:KISMET|password)=)[^&]*/gi, '$1***')
}

/**
 * The request target as a URL. Kismet collapses repeated slashes in incoming paths
 * (KISMET-API.md 3.2), so "//devices/..." is "/devices/...", never a host name.
 */
function requestUrl(target: string): URL {
  const queryAt = target.indexOf('?')
  const path = (queryAt < 0 ? target : target.slice(0, queryAt)).replace(/\/{2,}/g, '/')
  const url = new URL('http://kismet.invalid/')
  url.pathname = path.startsWith('/') ? path : `/${path}`
  if (queryAt >= 0) url.search = target.slice(queryAt)
  return url
}

export class SimHttp {
  readonly stats: SimStats = { requests: 0, bytesSent: 0, byPath: {}, cpuMs: 0 }
  readonly requestLog: SimRequestLogEntry[] = []
  readonly #backend: SimBackend
  readonly #options: HttpOptions
  readonly #garbage: Prng
  #server: Server | null = null
  readonly #sockets = new Set<Socket>()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  #latencyMs = 0
  #fault: ActiveFault | null = null
  #port = 0
  #host = '127.0.0.1'

  constructor(backend: SimBackend, options: HttpOptions) {
    this.#backend = backend
    this.#options = options
    this.#garbage = new Prng(options.seed ^ 0x5eed)
  }

  get port(): number {
    return this.#port
  }

  get host(): string {
    return this.#host
  }

  get listening(): boolean {
    return this.#server?.listening ?? false
  }

  get openConnections(): number {
    return this.#sockets.size
  }

  setLatency(ms: number): void {
    this.#latencyMs = Math.max(0, ms)
  }

  setFault(fault: SimFault | null, options: SimFaultOptions = {}): void {
    this.#fault = fault === null ? null : { fault, paths: options.paths ?? null, remaining: options.times ?? Infinity }
  }

  async listen(port: number, host: string): Promise<void> {
    if (this.#server) throw new Error('the simulator is already listening')
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        // A bug in the simulator must show up in the test that hit it, not hang it.
        if (!res.headersSent) res.writeHead(500, { Server: 'Kismet', 'Content-Type': 'text/plain' })
        res.end(`ERROR: simulator failure: ${(error as Error).message}\n`)
      })
    })
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head))
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.#server = server
    this.#port = (server.address() as AddressInfo).port
    this.#host = host
  }

  /** Stops listening and destroys every open connection (pending delayed answers are dropped). */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    const server = this.#server
    this.#server = null
    if (!server) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    for (const socket of this.#sockets) socket.destroy()
    await closed
  }

  #delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        resolve()
      }, ms)
      this.#timers.add(timer)
    })
  }

  /** The fault for this path, if any, counting one use. */
  #takeFault(path: string): SimFault | null {
    const active = this.#fault
    if (!active || (active.paths !== null && !active.paths.test(path))) return null
    active.remaining--
    if (active.remaining <= 0) this.#fault = null
    return active.fault
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.sendDate = false
    const method = req.method ?? 'GET'
    const url = requestUrl(req.url ?? '/')
    const body = await readBody(req)
    if (this.#latencyMs > 0) await this.#delay(this.#latencyMs)
    // The simulator's own work starts here (not counting the upload or injected latency).
    const started = performance.now()

    const prefix = this.#options.prefix
    const path = prefix === '' ? url.pathname : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : null
    const segments = (path ?? '').split('/').filter((segment) => segment !== '')
    const candidates = path === null ? [] : ROUTES.filter((candidate) => matchRoute(candidate, segments) !== null)
    const target = candidates.find((candidate) => candidate.methods.includes(method))
    const fault = this.#takeFault(path ?? url.pathname)
    const reply = new Reply(res, {
      contentType: target?.contentType ?? (url.pathname.endsWith('.json') ? 'application/json' : 'text/plain'),
      lastModified: new Date(this.#backend.nowMs()).toUTCString(),
      fault: fault?.kind === 'truncated' || fault?.kind === 'huge' ? (fault as BodyFault) : null,
    })

    if (fault?.kind === 'unauthorized') reply.page(401, UNAUTHORIZED_PAGE)
    else if (fault?.kind === 'garbage') await reply.text(200, this.#garbageBody())
    else if (fault?.kind === 'status') await this.#statusFault(fault.status, path ?? url.pathname, reply)
    else if (candidates.length === 0) reply.page(404, notFoundPage(path ?? url.pathname))
    else if (!target) reply.page(405, WRONG_METHOD_PAGE)
    else await this.#serve(target, req, url, body, path ?? '', reply)

    const routeName = target?.pattern ?? (candidates.length === 0 ? '(not found)' : '(wrong method)')
    this.#record(method, maskSecrets(req.url ?? '/'), routeName, reply, performance.now() - started - reply.waitMs)
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy())
    const url = requestUrl(req.url ?? '/')
    const prefix = this.#options.prefix
    const path = prefix === '' ? url.pathname : url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : null
    const shownPath = path ?? url.pathname
    const eventbus = this.#options.eventbus
    const refusal = eventbus.refusal()
    let status = 101
    if (refusal !== null) status = refusal
    else if (path !== EVENTBUS_PATH) status = 404
    else {
      const auth = authenticate(req.headers, url.searchParams, this.#options.credentials, this.#options.jwt, secondsOf(this.#backend.nowMs()))
      if (auth.role === null) status = 401
    }
    let bytes = 0
    if (status === 101) eventbus.accept(req, socket, head)
    else {
      const page = status === 401 ? UNAUTHORIZED_PAGE : status === 404 ? notFoundPage(shownPath) : statusPage(status)
      const body = Buffer.from(page, 'utf8')
      bytes = body.length
      // What Kismet sends before any upgrade: a plain answer with its page, then the end.
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nServer: Kismet\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]))
    }
    const stats = this.stats
    stats.requests++
    stats.bytesSent += bytes
    const byPath = (stats.byPath[EVENTBUS_PATH] ??= { requests: 0, bytes: 0 })
    byPath.requests++
    byPath.bytes += bytes
    this.requestLog.push({ method: req.method ?? 'GET', path: maskSecrets(req.url ?? '/'), status, bytes })
    if (this.requestLog.length > REQUEST_LOG_LIMIT) this.requestLog.splice(0, this.requestLog.length - REQUEST_LOG_LIMIT)
  }

  async #serve(target: Route, req: IncomingMessage, url: URL, body: Buffer, path: string, reply: Reply): Promise<void> {
    const backend = this.#backend
    const auth = authenticate(req.headers, url.searchParams, this.#options.credentials, this.#options.jwt, secondsOf(backend.nowMs()))
    const allowed = target.access === 'none' || (target.access === 'login' ? auth.role !== null : auth.role === 'admin')
    if (!allowed) {
      reply.page(401, UNAUTHORIZED_PAGE)
      return
    }
    reply.setCookie = auth.setCookie
    const { command, vars } = parseCommand(req.method ?? 'GET', req.headers['content-type'], body, url.searchParams)
    await runRoute(target, { backend, reply, params: matchRoute(target, path.split('/').filter((s) => s !== '')) ?? {}, command, vars, path, role: auth.role })
  }

  /** An injected status: Kismet's own answer where it has one, else a plain page (a proxy's). */
  async #statusFault(status: number, path: string, reply: Reply): Promise<void> {
    if (status === 500) await reply.text(500, 'ERROR: simulated server failure\n')
    else if (status === 401) reply.page(401, UNAUTHORIZED_PAGE)
    else if (status === 404) reply.page(404, notFoundPage(path))
    else if (status === 405) reply.page(405, WRONG_METHOD_PAGE)
    else reply.page(status, statusPage(status))
  }

  #garbageBody(): Buffer {
    // Not JSON, not even UTF-8: what a confused proxy or a corrupted stream might deliver.
    const noise = Buffer.alloc(64)
    for (let i = 0; i < noise.length; i++) noise[i] = this.#garbage.int(0, 255)
    return Buffer.concat([Buffer.from('<<garbage>> '), noise])
  }

  #record(method: string, path: string, routeName: string, reply: Reply, busyMs: number): void {
    const stats = this.stats
    stats.requests++
    stats.bytesSent += reply.bytes
    stats.cpuMs += Math.max(0, busyMs)
    const byPath = (stats.byPath[routeName] ??= { requests: 0, bytes: 0 })
    byPath.requests++
    byPath.bytes += reply.bytes
    this.requestLog.push({ method, path, status: reply.status, bytes: reply.bytes })
    if (this.requestLog.length > REQUEST_LOG_LIMIT) this.requestLog.splice(0, this.requestLog.length - REQUEST_LOG_LIMIT)
  }
}
