// Scenario 3: fan-out. `clients` Socket.IO clients (websocket transport) spread over
// `clientProcesses` processes, none in a server's process, subscribed to `devices`, connect to
// several server processes at once; one server streams at a time, `rate` device:update
// envelopes per second:
// - kismet-ws batched: the real app (app.ts, every plugin), its clients opted in with
//   `subscribe(['devices'], { batch: true })` — the delivery adopted for busy streams;
// - kismet-ws: the same app, clients on the default one packet per envelope (SPEC 3);
// - bare socket.io: a plain `new Server(httpServer)` broadcasting the same envelopes at the
//   same rate, one packet each — the baseline;
// - bare socket.io batched: the bare server with the bench's stand-in for batching (one
//   packet per publishing tick), to compare the mechanism alone.
// After a warm-up segment per server that is not counted, the two batched servers run in
// alternating segments (A B B A ...) so drift on the shared machine hits both alike; then
// each per-event server at a load the machine carries, and last at the full rate, which
// overloads any server: after such a segment its clients are dropped, so that its backlog
// does not spill into what is measured next.
// Per server: delivered envelopes per second (all clients together), latency (receipt
// Date.now() minus the envelope's timestamp, one machine clock) p50/p99/max, and the CPU
// time of the server and of the client processes per delivered envelope. After each segment
// the clients get up to `drainLimitMs` to receive what is still queued; what never arrives
// counts as not delivered.
//
// Two kinds of client (see fanout-client.ts). The figures against the goals use protocol
// clients: the 500 clients share the 2 cores with the server, and a load generator must cost
// less than what it measures. socket.io-client, the library a Node or browser frontend uses,
// JSON.parses every envelope (about 3 µs each here): at 500,000 deliveries/s that alone is
// 1.5 of the 2 cores, so with it the box saturates whatever the server does. Its figures are
// measured too, in the same run (`library`), with a lighter load the machine carries.
import { startWorker, sleep, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, MsHistogram } from './lib/stats.js'

export interface FanoutOptions {
  clients: number
  clientProcesses: number
  rate: number
  /** Length of one measured segment. */
  segmentMs: number
  /** Segments per server of the main pair (alternating A B B A ...). */
  segments: number
  /** An uncounted segment per server first (JIT, first allocations). */
  warmupMs: number
  /** How long clients may take after a segment to receive what is still queued. */
  drainLimitMs: number
  /** A lighter load the machine can carry with per-event delivery: events/s and time per server. */
  sustainableRate: number
  sustainableMs: number
  /** Then the same servers with socket.io-client library clients. */
  library: boolean
}

interface ClientReport {
  received: number
  packets: number
  lastReceiptMs: number
  hist: { pairs: Array<[number, number]>; max: number; min: number; overflow: number }
  connectedByKey: Record<string, number>
  errors: number
  cpuMs: number
}

interface DriveResult {
  published: number
  aborted: boolean
  startMs: number
  wallMs: number
  loopDelayP99Ms: number
  rss: number
}

export interface Segment {
  mode: string
  /** Clients of this server connected all through the segment (the fewer of its start and its end). */
  connected: number
  clientCpuMs: number
  clientCpuCores: number
  clientCpuUsPerDelivery: number
  segmentMs: number
  published: number
  publishedPerSec: number
  expected: number
  delivered: number
  deliveredShare: number
  deliveriesPerSec: number
  spanS: number
  p50: number
  p99: number
  max: number
  serverCpuMs: number
  serverCpuCores: number
  serverCpuUsPerDelivery: number
  serverLoopDelayP99Ms: number
  serverRssMb: number
  drainMs: number
  aborted: boolean
  /** Packets that reached the clients carrying counted envelopes, all clients together. */
  packets: number
  hist: ClientReport['hist']
}

export interface Server {
  name: string
  host: Worker
  url: string
}

/** One segment: `server` streams for `ms` at `rate`; every client counts what it gets from it. */
export async function segment(server: Server, mode: string, clients: Worker[], o: FanoutOptions, ms: number, rate = o.rate): Promise<Segment> {
  const sinceMs = Date.now()
  await Promise.all(clients.map((c) => c.call('begin', { sinceMs })))
  const before = await Promise.all(clients.map((c) => c.call<ClientReport>('report')))
  const clientCpu0 = before.reduce((a, r) => a + r.cpuMs, 0)
  const connected = before.reduce((a, r) => a + (r.connectedByKey[server.name] ?? 0), 0)
  const cpu0 = await server.host.call<{ cpuMs: number }>('cpu')
  const drive = await server.host.call<DriveResult>('drive', { rate, durationMs: ms }, ms + 120_000)
  const expected = drive.published * connected
  // Drain: until everything arrived, or nothing more arrives for 1.5 s, or the limit.
  const drainStart = Date.now()
  const drainLimitMs = o.drainLimitMs
  let reports: ClientReport[] = []
  let last = -1
  let stillSince = Date.now()
  for (;;) {
    reports = await Promise.all(clients.map((c) => c.call<ClientReport>('report')))
    const got = reports.reduce((a, r) => a + r.received, 0)
    if (got >= expected) break
    if (got !== last) {
      last = got
      stillSince = Date.now()
    } else if (Date.now() - stillSince > 1500) break
    if (Date.now() - drainStart > drainLimitMs) break
    await sleep(100)
  }
  const drainMs = Date.now() - drainStart
  const connectedAtEnd = reports.reduce((a, r) => a + (r.connectedByKey[server.name] ?? 0), 0)
  const cpu1 = await server.host.call<{ cpuMs: number; rss: number }>('cpu')
  const hist = new MsHistogram()
  for (const r of reports) hist.merge(r.hist)
  const delivered = reports.reduce((a, r) => a + r.received, 0)
  const lastReceipt = Math.max(...reports.map((r) => r.lastReceiptMs))
  const spanS = Math.max(drive.wallMs, lastReceipt - drive.startMs) / 1000
  const serverCpuMs = cpu1.cpuMs - cpu0.cpuMs
  const clientCpuMs = reports.reduce((a, r) => a + r.cpuMs, 0) - clientCpu0
  return {
    connected: Math.min(connected, connectedAtEnd),
    clientCpuMs,
    clientCpuCores: clientCpuMs / 1000 / spanS,
    clientCpuUsPerDelivery: (clientCpuMs * 1000) / Math.max(1, delivered),
    mode,
    segmentMs: ms,
    published: drive.published,
    publishedPerSec: drive.published / (drive.wallMs / 1000),
    expected,
    delivered,
    deliveredShare: delivered / Math.max(1, expected),
    deliveriesPerSec: delivered / spanS,
    spanS,
    p50: hist.quantile(0.5),
    p99: hist.quantile(0.99),
    max: hist.max,
    serverCpuMs,
    serverCpuCores: serverCpuMs / 1000 / spanS,
    serverCpuUsPerDelivery: (serverCpuMs * 1000) / Math.max(1, delivered),
    serverLoopDelayP99Ms: drive.loopDelayP99Ms,
    serverRssMb: Math.max(drive.rss, cpu1.rss) / 1e6,
    drainMs,
    aborted: drive.aborted,
    packets: reports.reduce((a, r) => a + r.packets, 0),
    hist: hist.toSparse(),
  }
}

/**
 * `o.segments` segments of each of two servers, alternating A B B A A B ... (drift on the
 * shared machine hits both alike), each server's merged (combine) under `label(server)`,
 * and the segments themselves.
 */
export async function alternatingSegments(
  a: Server,
  b: Server,
  clients: Worker[],
  o: FanoutOptions,
  options: { rate?: number; label?: (server: Server) => string } = {},
): Promise<[ReturnType<typeof combine>, ReturnType<typeof combine>, Segment[]]> {
  const parts: Segment[] = []
  for (let i = 0; i < o.segments * 2; i++) {
    const server = Math.floor((i + 1) / 2) % 2 === 0 ? a : b
    parts.push(await segment(server, server.name, clients, o, o.segmentMs, options.rate ?? o.rate))
  }
  const label = options.label ?? ((server: Server) => server.name)
  return [combine(label(a), parts.filter((p) => p.mode === a.name)), combine(label(b), parts.filter((p) => p.mode === b.name)), parts]
}

/** Merges the segments of one mode: totals over the summed time, latency over all samples. */
export function combine(mode: string, parts: Segment[]) {
  const hist = new MsHistogram()
  for (const p of parts) hist.merge(p.hist)
  const span = parts.reduce((a, p) => a + p.spanS, 0)
  const delivered = parts.reduce((a, p) => a + p.delivered, 0)
  const expected = parts.reduce((a, p) => a + p.expected, 0)
  const cpu = parts.reduce((a, p) => a + p.serverCpuMs, 0)
  const clientCpu = parts.reduce((a, p) => a + p.clientCpuMs, 0)
  const published = parts.reduce((a, p) => a + p.published, 0)
  const streamS = parts.reduce((a, p) => a + p.segmentMs / 1000, 0)
  const packets = parts.reduce((a, p) => a + p.packets, 0)
  const clients = Math.max(1, Math.min(...parts.map((p) => p.connected)))
  return {
    mode,
    segments: parts.length,
    deliveriesPerSec: delivered / span,
    perSegmentDeliveriesPerSec: parts.map((p) => Math.round(p.deliveriesPerSec)),
    publishedPerSec: published / streamS,
    delivered,
    expected,
    deliveredShare: delivered / Math.max(1, expected),
    packetsPerClientPerSec: packets / clients / span,
    envelopesPerPacket: delivered / Math.max(1, packets),
    p50: hist.quantile(0.5),
    p99: hist.quantile(0.99),
    max: hist.max,
    serverCpuUsPerDelivery: (cpu * 1000) / Math.max(1, delivered),
    serverCpuCores: cpu / 1000 / span,
    clientCpuUsPerDelivery: (clientCpu * 1000) / Math.max(1, delivered),
    clientCpuCores: clientCpu / 1000 / span,
    serverRssMb: Math.max(...parts.map((p) => p.serverRssMb)),
    aborted: parts.some((p) => p.aborted),
    connectedMin: Math.min(...parts.map((p) => p.connected)),
  }
}

export function describeRun(c: ReturnType<typeof combine>): string {
  return (
    `  ${c.mode.padEnd(18)} ${fmt(c.deliveriesPerSec)} deliveries/s (segments ${c.perSegmentDeliveriesPerSec.join(', ')}; ` +
    `${fmt(c.publishedPerSec)} published/s, ${(c.deliveredShare * 100).toFixed(1)}% delivered, ${fmt(c.packetsPerClientPerSec)} packets/s per client of ${fmt(c.envelopesPerPacket)} envelopes), latency p50 ${fmt(c.p50)} / p99 ${fmt(c.p99)} / max ${fmt(c.max)} ms, ` +
    `server ${fmt(c.serverCpuCores)} cores, ${fmt(c.serverCpuUsPerDelivery)} µs/delivery; clients ${fmt(c.clientCpuCores)} cores, ${fmt(c.clientCpuUsPerDelivery)} µs/delivery; server rss ${fmt(c.serverRssMb)} MB, clients connected >= ${c.connectedMin}${c.aborted ? ' (ABORTED: memory cap)' : ''}`
  )
}

export type Run = ReturnType<typeof combine>
type ClientKind = 'protocol' | 'socket.io-client'
/** How a server's clients ask for batched delivery: the service's own option, or the bench's stand-in on the bare server. */
type OptIn = 'subscribe' | 'bench:batched' | undefined

interface ServerSpec {
  name: string
  bare: boolean
  optIn: OptIn
}

const SERVERS = {
  svcBatched: { name: 'kismet-ws batched', bare: false, optIn: 'subscribe' },
  svc: { name: 'kismet-ws', bare: false, optIn: undefined },
  bare: { name: 'bare socket.io', bare: true, optIn: undefined },
  bareBatched: { name: 'bare socket.io batched', bare: true, optIn: 'bench:batched' },
} satisfies Record<string, ServerSpec>

async function startServer(spec: ServerSpec): Promise<Server & { spec: ServerSpec }> {
  const host = startWorker('server-host.ts', { name: `server-host(${spec.name})` })
  const { url } = spec.bare ? await host.call<{ url: string }>('startBare') : await host.call<{ url: string }>('startService', { env: { KISMET_ENABLED: 'false' } })
  return { name: spec.name, host, url, spec }
}

/** Connects `o.clients` clients of `kind` to `server` (opted in to batching if the server's spec says so). */
async function connectAll(server: Server & { spec: ServerSpec }, kind: ClientKind, clients: Worker[], o: FanoutOptions, log: (line: string) => void): Promise<void> {
  const t0 = Date.now()
  const per = Math.ceil(o.clients / clients.length)
  const counts = clients.map((_, i) => Math.max(0, Math.min(per, o.clients - i * per)))
  const connected = await Promise.all(clients.map((c, i) => c.call<{ connected: number }>('connect', { key: server.name, url: server.url, count: counts[i], kind }, 180_000)))
  const total = connected.reduce((a, c) => a + c.connected, 0)
  if (total !== o.clients) throw new Error(`${server.name}: only ${total} of ${o.clients} clients connected`)
  if (server.spec.optIn) await Promise.all(clients.map((c) => c.call('optIn', { key: server.name, via: server.spec.optIn }, 60_000)))
  log(`  ${o.clients} ${kind} clients connected to ${server.name} in ${Date.now() - t0} ms, over ${clients.length} processes`)
}

/** A segment at the full rate with one packet per envelope, then the server's clients dropped with their backlog. */
async function overloaded(server: Server, clients: Worker[], o: FanoutOptions): Promise<Segment> {
  const result = await segment(server, server.name, clients, o, o.segmentMs)
  await Promise.all(clients.map((c) => c.call('disconnect', { key: server.name })))
  await server.host.call('dropClients')
  return result
}

/** The clients' errors: a frame read wrong, a broken protocol, a connection the server closed. */
export async function clientErrors(clients: Worker[]): Promise<{ errors: number; samples: string[] }> {
  const reports = await Promise.all(clients.map((c) => c.call<{ errors: number; errorSamples: string[] }>('report')))
  return { errors: reports.reduce((a, r) => a + r.errors, 0), samples: reports.flatMap((r) => r.errorSamples).slice(0, 3) }
}

export function row(scenario: string, metric: string, value: Run, baseline: Run, pick: 'deliveriesPerSec' | 'p50' | 'p99' | 'max' | 'serverCpuUsPerDelivery' | 'clientCpuUsPerDelivery', unit: string, goal: string, met: boolean | null): Row {
  const a = value[pick]
  const b = baseline[pick]
  return { scenario, metric, value: a, unit, baselineLabel: baseline.mode, baseline: b, ratio: a / (unit === 'ms' ? Math.max(b, 1) : b), ratioLabel: `${value.mode} / ${baseline.mode}`, goal, met }
}

export async function runFanout(o: FanoutOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const clients = Array.from({ length: o.clientProcesses }, (_, i) => startWorker('fanout-client.ts', { name: `fanout-client-${i}` }))
  const servers = await Promise.all(Object.values(SERVERS).map(startServer))
  const [svcBatched, svc, bare, bareBatched] = servers as [Server & { spec: ServerSpec }, Server & { spec: ServerSpec }, Server & { spec: ServerSpec }, Server & { spec: ServerSpec }]
  const label = `${o.clients} clients x ${o.rate} ev/s`
  const rows: Row[] = []
  const details: Record<string, unknown> = { options: o }
  try {
    // Protocol clients: the figures against the goals.
    for (const server of servers) await connectAll(server, 'protocol', clients, o, log)
    await sleep(500)
    // Warm-up (not counted): the batched servers at the full rate, the per-event ones at the rate they carry.
    for (const server of servers) await segment(server, `${server.name} warm-up`, clients, o, o.warmupMs, server.spec.optIn ? o.rate : o.sustainableRate)
    log(`  ${o.rate} events/s; batched: ${o.segments} segments of ${o.segmentMs / 1000} s per server, alternating; then one packet per envelope at ${o.sustainableRate} and ${o.rate} events/s, one segment each`)
    const [main, sameBatching, parts] = await alternatingSegments(svcBatched, bareBatched, clients, o)
    const lightSvc = combine(`${svc.name} @${o.sustainableRate}/s`, [await segment(svc, svc.name, clients, o, o.sustainableMs, o.sustainableRate)])
    const lightBare = combine(`${bare.name} @${o.sustainableRate}/s`, [await segment(bare, bare.name, clients, o, o.sustainableMs, o.sustainableRate)])
    // One packet per envelope overloads any server at the full rate (the backlog grows by
    // seconds a second, and the heap with it), so these come last: they would disturb what follows.
    const base = combine(bare.name, [await overloaded(bare, clients, o)])
    const perEvent = combine(svc.name, [await overloaded(svc, clients, o)])
    const protocolRuns = [main, base, perEvent, sameBatching, lightSvc, lightBare]
    for (const r of protocolRuns) log(describeRun(r))
    const protocolErrors = await clientErrors(clients)
    if (protocolErrors.errors > 0) throw new Error(`the protocol clients reported ${protocolErrors.errors} errors: ${protocolErrors.samples.join(' | ')}`)
    details.protocol = { runs: protocolRuns, segments: parts.map(({ hist: _hist, ...rest }) => rest) }

    const scenario = '3 fan-out'
    // A goal counts only if no client of the measured server was lost on the way.
    const allConnected = main.connectedMin === o.clients
    rows.push(
      row(scenario, `delivered envelopes/s, all clients (${label}; target ${fmt(o.rate * o.clients)})`, main, base, 'deliveriesPerSec', '/s', '>= 0.8x bare', allConnected && main.deliveriesPerSec / base.deliveriesPerSec >= 0.8),
      row(scenario, 'latency p50 (envelope timestamp -> client receipt)', main, base, 'p50', 'ms', 'info', null),
      row(scenario, 'latency p99', main, base, 'p99', 'ms', '<= 50 ms', allConnected && main.p99 <= 50),
      row(scenario, 'latency max', main, base, 'max', 'ms', 'info', null),
      row(scenario, 'server CPU per delivered envelope', main, base, 'serverCpuUsPerDelivery', 'µs', 'info', null),
      row(`${scenario} (default, one packet per envelope)`, `delivered envelopes/s (${label})`, perEvent, base, 'deliveriesPerSec', '/s', 'info (>= 0.8x bare)', null),
      row(`${scenario} (default, one packet per envelope)`, 'latency p99', perEvent, base, 'p99', 'ms', 'info', null),
      row(`${scenario} (default, one packet per envelope)`, `latency p99 at a load this machine carries (${o.clients} clients x ${o.sustainableRate} ev/s)`, lightSvc, lightBare, 'p99', 'ms', 'info (<= 50 ms)', null),
      row(`${scenario} (both batched)`, 'delivered envelopes/s', main, sameBatching, 'deliveriesPerSec', '/s', 'info', null),
      row(`${scenario} (both batched)`, 'latency p99', main, sameBatching, 'p99', 'ms', 'info', null),
    )

    if (o.library) {
      // The same servers with socket.io-client library clients (a fresh set; the protocol clients go).
      await Promise.all(clients.map((c) => c.call('close')))
      for (const server of [svcBatched, bare, svc]) await connectAll(server, 'socket.io-client', clients, o, log)
      await sleep(500)
      for (const server of [svcBatched, bare]) await segment(server, `${server.name} warm-up`, clients, o, o.warmupMs, server.spec.optIn ? o.rate : o.sustainableRate)
      const libMain = combine(`${svcBatched.name} (socket.io-client)`, [await segment(svcBatched, svcBatched.name, clients, o, o.segmentMs)])
      const libLightSvc = combine(`${svc.name} @${o.sustainableRate}/s (socket.io-client)`, [await segment(svc, svc.name, clients, o, o.sustainableMs, o.sustainableRate)])
      const libLightBare = combine(`${bare.name} @${o.sustainableRate}/s (socket.io-client)`, [await segment(bare, bare.name, clients, o, o.sustainableMs, o.sustainableRate)])
      const libBase = combine(`${bare.name} (socket.io-client)`, [await overloaded(bare, clients, o)])
      const libraryRuns = [libMain, libBase, libLightSvc, libLightBare]
      for (const r of libraryRuns) log(describeRun(r))
      details.library = { runs: libraryRuns }
      const libScenario = `${scenario} (socket.io-client clients)`
      rows.push(
        row(libScenario, `delivered envelopes/s (${label})`, libMain, libBase, 'deliveriesPerSec', '/s', 'info', null),
        row(libScenario, 'latency p99', libMain, libBase, 'p99', 'ms', 'info', null),
        row(libScenario, 'client CPU per delivered envelope, batched', libMain, main, 'clientCpuUsPerDelivery', 'µs', 'info', null),
        row(libScenario, `latency p99 at ${o.sustainableRate} ev/s, one packet per envelope`, libLightSvc, libLightBare, 'p99', 'ms', 'info (<= 50 ms)', null),
      )
    }
    return { rows, details }
  } finally {
    await Promise.all(clients.map((c) => c.call('close').catch(() => undefined)))
    await Promise.all([...clients, ...servers.map((s) => s.host)].map((w) => w.stop()))
  }
}
