// Scenario 3: fan-out. `clients` Socket.IO clients (websocket transport) spread over
// `clientProcesses` processes, none in a server's process, subscribed to `devices`, are
// connected to two server processes at once:
// - kismet-ws: the real app, envelopes published on app.events (the Broadcaster routes
//   them with io.to('devices').emit('event', envelope), as the poller's output goes);
// - baseline: a bare `new Server(httpServer)`, same envelopes, same rate, same clients.
// Only one server streams at a time, `rate` device:update envelopes per second, in
// alternating segments (A B B A ...) so drift on the shared machine hits both alike.
// Per server: delivered envelopes per second (all clients together), latency (receipt
// Date.now() minus the envelope's timestamp, one machine clock) p50/p99/max, and the CPU
// time of the server and client processes per delivered envelope. After each segment the
// clients get up to `drainLimitMs` to receive what is still queued; what never arrives
// counts as not delivered.
//
// On 2 cores the full load (500 clients x 1000 envelopes/s = 500,000 deliveries/s) is
// several times what the machine can do with one packet per envelope, for any Socket.IO
// server: the backlog grows by seconds per second of stream. A 20 s stream in one piece
// put the clients more than 20 s behind, past Socket.IO's ping timeout, and the server
// dropped them; hence 10 s per server in short segments, each drained before the next.
// Then a lighter load the machine carries (`sustainableRate`), where latency means
// something, and with `alternatives`: an opt-in batched delivery (one 'events' packet per
// publishing tick, see server-host.ts) on both servers, and a bare server with the
// connection-state recovery the service configures — measured alternatives for the
// owner, not the service's protocol.
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
  /** How long clients may take after a segment to receive what is still queued. */
  drainLimitMs: number
  /** A lighter load the machine can carry, where latency means something: events/s and time per server. */
  sustainableRate: number
  sustainableMs: number
  /** Then one segment per server with the opt-in batched delivery, and a bare server with recovery. */
  alternatives: boolean
}

interface ClientReport {
  received: number
  lastReceiptMs: number
  hist: { pairs: Array<[number, number]>; max: number; min: number; overflow: number }
  perSocketMin: number
  perSocketMax: number
  connected: number
  connectedByKey: Record<string, number>
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
  /** Clients of this server connected when the segment started. */
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
  packets: number
  hist: ClientReport['hist']
}

interface Server {
  name: string
  host: Worker
  url: string
}

/** One segment: `server` streams for `ms` at `rate`; every client counts what it gets from it. */
async function segment(server: Server, mode: string, clients: Worker[], o: FanoutOptions, ms: number, rate = o.rate): Promise<Segment> {
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
  const cpu1 = await server.host.call<{ cpuMs: number; rss: number }>('cpu')
  const hist = new MsHistogram()
  for (const r of reports) hist.merge(r.hist)
  const delivered = reports.reduce((a, r) => a + r.received, 0)
  const lastReceipt = Math.max(...reports.map((r) => r.lastReceiptMs))
  const spanS = Math.max(drive.wallMs, lastReceipt - drive.startMs) / 1000
  const serverCpuMs = cpu1.cpuMs - cpu0.cpuMs
  const clientCpuMs = reports.reduce((a, r) => a + r.cpuMs, 0) - clientCpu0
  return {
    connected,
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
    connectedMin: Math.min(...parts.map((p) => p.connected)),
  }
}

function describeRun(c: ReturnType<typeof combine>): string {
  return (
    `  ${c.mode.padEnd(18)} ${fmt(c.deliveriesPerSec)} deliveries/s (segments ${c.perSegmentDeliveriesPerSec.join(', ')}; ` +
    `${fmt(c.publishedPerSec)} published/s, ${(c.deliveredShare * 100).toFixed(1)}% delivered), latency p50 ${fmt(c.p50)} / p99 ${fmt(c.p99)} / max ${fmt(c.max)} ms, ` +
    `server ${fmt(c.serverCpuCores)} cores, ${fmt(c.serverCpuUsPerDelivery)} µs/delivery; clients ${fmt(c.clientCpuCores)} cores, ${fmt(c.clientCpuUsPerDelivery)} µs/delivery; server rss ${fmt(c.serverRssMb)} MB, clients connected >= ${c.connectedMin}${c.aborted ? ' (ABORTED: memory cap)' : ''}`
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
    // Latency at a load the machine carries (same clients, same servers).
    const light = [
      combine(`${service.name} @${o.sustainableRate}/s`, [await segment(service, service.name, clients, o, o.sustainableMs, o.sustainableRate)]),
      combine(`${bare.name} @${o.sustainableRate}/s`, [await segment(bare, bare.name, clients, o, o.sustainableMs, o.sustainableRate)]),
    ]
    for (const r of light) log(describeRun(r))
    const alternatives: Array<ReturnType<typeof combine>> = []
    if (o.alternatives) {
      for (const server of [service, bare]) {
        await Promise.all(clients.map((c) => c.call('optIn', { key: server.name }, 60_000)))
        const mode = `${server.name} batched`
        const alt = combine(mode, [await segment(server, mode, clients, o, segMs)])
        alternatives.push(alt)
        log(describeRun(alt))
      }
      // The service's one difference on the wire: connection-state recovery. A bare server with it:
      const recovery: Server = { name: 'bare + recovery', host: startWorker('server-host.ts', { name: 'server-host(fan-out bare+recovery)' }), url: '' }
      try {
        recovery.url = (await recovery.host.call<{ url: string }>('startBare', { recovery: true })).url
        await Promise.all(clients.map((c, i) => c.call('connect', { key: recovery.name, url: recovery.url, count: counts[i], batched: false }, 180_000)))
        await sleep(500)
        const alt = combine(recovery.name, [await segment(recovery, recovery.name, clients, o, segMs)])
        alternatives.push(alt)
        log(describeRun(alt))
      } finally {
        await recovery.host.stop()
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
    const svcBatched = alternatives.find((r) => r.mode === 'kismet-ws batched')
    const bareBatched = alternatives.find((r) => r.mode === 'bare socket.io batched')
    const bareRecovery = alternatives.find((r) => r.mode === 'bare + recovery')
    rows.push(
      {
        scenario: '3 fan-out',
        metric: `latency p99 at a load this machine carries (${o.clients} clients x ${o.sustainableRate} ev/s, ${o.sustainableMs / 1000} s)`,
        value: light[0]!.p99,
        unit: 'ms',
        baselineLabel: 'bare socket.io server',
        baseline: light[1]!.p99,
        ratio: light[0]!.p99 / Math.max(light[1]!.p99, 1),
        ratioLabel: 'kismet-ws / bare',
        goal: 'info (<= 50 ms)',
        met: null,
      },
      {
        scenario: '3 fan-out',
        metric: `delivered/s at that load (target ${fmt(o.sustainableRate * o.clients)})`,
        value: light[0]!.deliveriesPerSec,
        unit: '/s',
        baselineLabel: 'bare socket.io server',
        baseline: light[1]!.deliveriesPerSec,
        ratio: light[0]!.deliveriesPerSec / light[1]!.deliveriesPerSec,
        ratioLabel: 'kismet-ws / bare',
        goal: 'info',
        met: null,
      },
    )
    if (bareRecovery) {
      rows.push({
        scenario: '3 fan-out (diagnosis)',
        metric: 'bare socket.io WITH connection-state recovery: server CPU per delivery',
        value: bareRecovery.serverCpuUsPerDelivery,
        unit: 'µs',
        baselineLabel: 'bare socket.io without it',
        baseline: base.serverCpuUsPerDelivery,
        ratio: bareRecovery.serverCpuUsPerDelivery / base.serverCpuUsPerDelivery,
        ratioLabel: 'with / without',
        goal: 'info',
        met: null,
      })
    }
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
          metric: 'opt-in batched delivery: server CPU per delivered envelope',
          value: svcBatched.serverCpuUsPerDelivery,
          unit: 'µs',
          baselineLabel: 'kismet-ws, one packet per event',
          baseline: svc.serverCpuUsPerDelivery,
          ratio: svcBatched.serverCpuUsPerDelivery / svc.serverCpuUsPerDelivery,
          ratioLabel: 'batched / per event',
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
    return { rows, details: { options: o, runs, light, alternatives, segments: parts.map(({ hist: _hist, ...rest }) => rest) } }
  } finally {
    await Promise.all(clients.map((c) => c.call('close').catch(() => undefined)))
    await Promise.all([...clients, service.host, bare.host].map((w) => w.stop()))
  }
}
