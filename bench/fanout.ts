// Scenario 3: fan-out. `clients` Socket.IO clients (websocket transport) spread over
// `clientProcesses` processes, none in the server's process, subscribed to `devices`. A
// server process publishes `rate` device:update envelopes per second for `durationMs`:
// - kismet-ws: the real app, envelopes published on app.events (the Broadcaster routes
//   them with io.to('devices').emit('event', envelope), as the poller's output goes);
// - baseline: a bare `new Server(httpServer)`, same envelopes, same rate, same clients.
// Delivered envelopes per second (all clients together) and latency (receipt Date.now()
// minus the envelope's timestamp) p50/p99/max. After the stream stops, clients are given
// time to drain what was still queued; what never arrives counts as not delivered.
// With `alternatives`, both servers are measured again with an opt-in batched delivery
// (one 'events' packet per publishing tick) — a measured alternative, not the protocol.
import { startWorker, sleep, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt, MsHistogram } from './lib/stats.js'

export interface FanoutOptions {
  clients: number
  clientProcesses: number
  rate: number
  /** Stream time per server; split into `segments` alternating segments (A B B A ...). */
  durationMs: number
  segments: number
  /** Then one segment per server with the opt-in batched delivery. */
  alternatives: boolean
}

interface ClientReport {
  received: number
  lastReceiptMs: number
  hist: { pairs: Array<[number, number]>; max: number; min: number; overflow: number }
  perSocketMin: number
  perSocketMax: number
  connected: number
  errors: number
  cpuMs: number
}

interface DriveResult {
  published: number
  aborted: boolean
  packets: number
  startMs: number
  wallMs: number
  cpuMs: number
  loopDelayP99Ms: number
  loopDelayMaxMs: number
  rss: number
}

export interface Segment {
  mode: string
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
  packets: number
  hist: ClientReport['hist']
}

interface Server {
  name: string
  host: Worker
  url: string
}

/** One segment: `server` streams for `ms`; every client counts what it gets from it. */
async function segment(server: Server, mode: string, clients: Worker[], o: FanoutOptions, ms: number): Promise<Segment> {
  const sinceMs = Date.now()
  await Promise.all(clients.map((c) => c.call('begin', { sinceMs })))
  const clientCpu0 = (await Promise.all(clients.map((c) => c.call<ClientReport>('report')))).reduce((a, r) => a + r.cpuMs, 0)
  const cpu0 = await server.host.call<{ cpuMs: number }>('cpu')
  const drive = await server.host.call<DriveResult>('drive', { rate: o.rate, durationMs: ms }, ms + 120_000)
  const expected = drive.published * o.clients
  // Drain: until everything arrived, or nothing more arrives for 1.5 s, or the limit.
  const drainStart = Date.now()
  const drainLimitMs = Math.max(10_000, ms)
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
  const cpu1 = await server.host.call<{ cpuMs: number; rss: number }>('cpu')
  const hist = new MsHistogram()
  for (const r of reports) hist.merge(r.hist)
  const delivered = reports.reduce((a, r) => a + r.received, 0)
  const lastReceipt = Math.max(...reports.map((r) => r.lastReceiptMs))
  const spanS = Math.max(drive.wallMs, lastReceipt - drive.startMs) / 1000
  const serverCpuMs = cpu1.cpuMs - cpu0.cpuMs
  const clientCpuMs = reports.reduce((a, r) => a + r.cpuMs, 0) - clientCpu0
  return {
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
    packets: drive.packets,
    hist: hist.toSparse(),
  }
}

/** Merges the segments of one mode: totals over the summed time, latency over all samples. */
function combine(mode: string, parts: Segment[]) {
  const hist = new MsHistogram()
  for (const p of parts) hist.merge(p.hist)
  const span = parts.reduce((a, p) => a + p.spanS, 0)
  const delivered = parts.reduce((a, p) => a + p.delivered, 0)
  const expected = parts.reduce((a, p) => a + p.expected, 0)
  const cpu = parts.reduce((a, p) => a + p.serverCpuMs, 0)
  const clientCpu = parts.reduce((a, p) => a + p.clientCpuMs, 0)
  const published = parts.reduce((a, p) => a + p.published, 0)
  const streamS = parts.reduce((a, p) => a + p.segmentMs / 1000, 0)
  return {
    mode,
    segments: parts.length,
    deliveriesPerSec: delivered / span,
    perSegmentDeliveriesPerSec: parts.map((p) => Math.round(p.deliveriesPerSec)),
    publishedPerSec: published / streamS,
    delivered,
    expected,
    deliveredShare: delivered / Math.max(1, expected),
    p50: hist.quantile(0.5),
    p99: hist.quantile(0.99),
    max: hist.max,
    serverCpuUsPerDelivery: (cpu * 1000) / Math.max(1, delivered),
    serverCpuCores: cpu / 1000 / span,
    clientCpuUsPerDelivery: (clientCpu * 1000) / Math.max(1, delivered),
    clientCpuCores: clientCpu / 1000 / span,
    serverRssMb: Math.max(...parts.map((p) => p.serverRssMb)),
    aborted: parts.some((p) => p.aborted),
  }
}

function describeRun(c: ReturnType<typeof combine>): string {
  return (
    `  ${c.mode.padEnd(18)} ${fmt(c.deliveriesPerSec)} deliveries/s (segments ${c.perSegmentDeliveriesPerSec.join(', ')}; ` +
    `${fmt(c.publishedPerSec)} published/s, ${(c.deliveredShare * 100).toFixed(1)}% delivered), latency p50 ${fmt(c.p50)} / p99 ${fmt(c.p99)} / max ${fmt(c.max)} ms, ` +
    `server ${fmt(c.serverCpuCores)} cores, ${fmt(c.serverCpuUsPerDelivery)} µs/delivery; clients ${fmt(c.clientCpuCores)} cores, ${fmt(c.clientCpuUsPerDelivery)} µs/delivery; server rss ${fmt(c.serverRssMb)} MB${c.aborted ? ' (ABORTED: memory cap)' : ''}`
  )
}

export async function runFanout(o: FanoutOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const clients = Array.from({ length: o.clientProcesses }, (_, i) => startWorker('fanout-client.ts', { name: `fanout-client-${i}` }))
  const service: Server = { name: 'kismet-ws', host: startWorker('server-host.ts', { name: 'server-host(fan-out service)' }), url: '' }
  const bare: Server = { name: 'bare socket.io', host: startWorker('server-host.ts', { name: 'server-host(fan-out bare)' }), url: '' }
  try {
    service.url = (await service.host.call<{ url: string }>('startService', { env: { KISMET_ENABLED: 'false' } })).url
    bare.url = (await bare.host.call<{ url: string }>('startBare')).url
    const per = Math.ceil(o.clients / clients.length)
    const counts = clients.map((_, i) => Math.max(0, Math.min(per, o.clients - i * per)))
    for (const server of [service, bare]) {
      const t0 = Date.now()
      const connected = await Promise.all(
        clients.map((c, i) => c.call<{ connected: number }>('connect', { key: server.name, url: server.url, count: counts[i], batched: false }, 180_000)),
      )
      const total = connected.reduce((a, c) => a + c.connected, 0)
      if (total !== o.clients) throw new Error(`${server.name}: only ${total} of ${o.clients} clients connected`)
      log(`  ${o.clients} clients (websocket) connected to ${server.name} in ${Date.now() - t0} ms, over ${o.clientProcesses} processes`)
    }
    const segMs = Math.round(o.durationMs / o.segments)
    log(`  ${o.rate} events/s for ${o.durationMs / 1000} s per server, in ${o.segments} alternating segments of ${segMs / 1000} s`)
    await sleep(1000)
    const parts: Segment[] = []
    for (let i = 0; i < o.segments * 2; i++) {
      // A B B A A B ...: drift on the shared machine hits both alike.
      const first = Math.floor((i + 1) / 2) % 2 === 0 ? service : bare
      parts.push(await segment(first, first.name, clients, o, segMs))
    }
    const runs = [combine(service.name, parts.filter((p) => p.mode === service.name)), combine(bare.name, parts.filter((p) => p.mode === bare.name))]
    for (const r of runs) log(describeRun(r))
    if (o.alternatives) {
      for (const server of [service, bare]) {
        await Promise.all(clients.map((c) => c.call('optIn', { key: server.name })))
        const mode = `${server.name} batched`
        const alt = combine(mode, [await segment(server, mode, clients, o, segMs)])
        runs.push(alt)
        log(describeRun(alt))
      }
    }
    const svc = runs[0]!
    const base = runs[1]!
    const label = `${o.clients} clients x ${o.rate} ev/s, ${o.durationMs / 1000} s`
    const rows: Row[] = [
      {
        scenario: '3 fan-out',
        metric: `delivered envelopes/s, all clients (${label}; target ${fmt(o.rate * o.clients)})`,
        value: svc.deliveriesPerSec,
        unit: '/s',
        baselineLabel: 'bare socket.io server',
        baseline: base.deliveriesPerSec,
        ratio: svc.deliveriesPerSec / base.deliveriesPerSec,
        ratioLabel: 'kismet-ws / bare',
        goal: '>= 0.8x bare',
        met: svc.deliveriesPerSec / base.deliveriesPerSec >= 0.8,
      },
      {
        scenario: '3 fan-out',
        metric: 'latency p50 (envelope timestamp -> client receipt)',
        value: svc.p50,
        unit: 'ms',
        baselineLabel: 'bare socket.io server',
        baseline: base.p50,
        ratio: svc.p50 / Math.max(base.p50, 1),
        ratioLabel: 'kismet-ws / bare',
        goal: 'info',
        met: null,
      },
      {
        scenario: '3 fan-out',
        metric: 'latency p99',
        value: svc.p99,
        unit: 'ms',
        baselineLabel: 'bare socket.io server',
        baseline: base.p99,
        ratio: svc.p99 / Math.max(base.p99, 1),
        ratioLabel: 'kismet-ws / bare',
        goal: '<= 50 ms',
        met: svc.p99 <= 50,
      },
      {
        scenario: '3 fan-out',
        metric: 'latency max',
        value: svc.max,
        unit: 'ms',
        baselineLabel: 'bare socket.io server',
        baseline: base.max,
        ratio: svc.max / Math.max(base.max, 1),
        ratioLabel: 'kismet-ws / bare',
        goal: 'info',
        met: null,
      },
      {
        scenario: '3 fan-out',
        metric: 'server CPU per delivered envelope',
        value: svc.serverCpuUsPerDelivery,
        unit: 'µs',
        baselineLabel: 'bare socket.io server',
        baseline: base.serverCpuUsPerDelivery,
        ratio: svc.serverCpuUsPerDelivery / base.serverCpuUsPerDelivery,
        ratioLabel: 'kismet-ws / bare',
        goal: 'info',
        met: null,
      },
    ]
    const svcBatched = runs.find((r) => r.mode === 'kismet-ws batched')
    const bareBatched = runs.find((r) => r.mode === 'bare socket.io batched')
    if (svcBatched && bareBatched) {
      rows.push(
        {
          scenario: '3 fan-out (alternative)',
          metric: 'opt-in batched delivery (one packet per 10 ms tick): delivered/s',
          value: svcBatched.deliveriesPerSec,
          unit: '/s',
          baselineLabel: 'bare socket.io, one packet per event',
          baseline: base.deliveriesPerSec,
          ratio: svcBatched.deliveriesPerSec / base.deliveriesPerSec,
          ratioLabel: 'batched / bare',
          goal: 'info',
          met: null,
        },
        {
          scenario: '3 fan-out (alternative)',
          metric: 'opt-in batched delivery: latency p99',
          value: svcBatched.p99,
          unit: 'ms',
          baselineLabel: 'bare socket.io, one packet per event',
          baseline: base.p99,
          ratio: svcBatched.p99 / Math.max(base.p99, 1),
          ratioLabel: 'batched / bare',
          goal: 'info',
          met: null,
        },
        {
          scenario: '3 fan-out (alternative)',
          metric: 'bare socket.io batched: delivered/s',
          value: bareBatched.deliveriesPerSec,
          unit: '/s',
          baselineLabel: 'bare socket.io, one packet per event',
          baseline: base.deliveriesPerSec,
          ratio: bareBatched.deliveriesPerSec / base.deliveriesPerSec,
          ratioLabel: 'batched / bare',
          goal: 'info',
          met: null,
        },
      )
    }
    return { rows, details: { options: o, runs, segments: parts.map(({ hist: _hist, ...rest }) => rest) } }
  } finally {
    await Promise.all(clients.map((c) => c.call('close').catch(() => undefined)))
    await Promise.all([...clients, service.host, bare.host].map((w) => w.stop()))
  }
}
