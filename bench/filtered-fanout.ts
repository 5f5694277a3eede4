// Scenario 7: filtered fan-out. The same bench as scenario 3's batched run (protocol clients,
// `rate` device:update envelopes per second published on app.events), on two servers of the
// real app at once: on one every client subscribes `subscribe(['devices'], { batch: true })`,
// on the other `subscribe(['devices'], { batch: true, filter })` with `filters` distinct
// filters spread over the clients (client i takes filter i % filters). Every filter matches
// every device of the stream (they differ in what they test: minSignal, types, bands,
// channels, randomized, ouis), so both servers deliver the same envelopes and what is
// compared is the cost of judging them and of routing to `filters` rooms instead of one.
// Segments alternate A B B A after an uncounted warm-up; the figures are delivered
// envelopes per second (filtered against unfiltered, goal >= 0.8x) and server CPU per
// delivered envelope beside it.
import { startWorker, sleep } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'
import { alternatingSegments, clientErrors, describeRun, row, segment, type FanoutOptions, type Server } from './fanout.js'

export interface FilteredFanoutOptions extends FanoutOptions {
  filters: number
}

/** `count` distinct filters, each matching every device of server-host.ts's stream. */
export function benchFilters(count: number): unknown[] {
  const shapes = [
    (min: number) => ({ minSignal: min }),
    (min: number) => ({ types: ['AP', 'Client'], minSignal: min }),
    (min: number) => ({ bands: ['2.4', '5'], minSignal: min }),
    (min: number) => ({ channels: [1, 6, 11, 36, 44], randomized: false, minSignal: min }),
    (min: number) => ({ ouis: ['A4'], types: ['AP', 'Client', 'Bridged'], bands: ['2.4', '5', '6'], minSignal: min }),
  ]
  return Array.from({ length: count }, (_, i) => shapes[i % shapes.length]!(-(90 + i)))
}

export async function runFilteredFanout(o: FilteredFanoutOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const clients = Array.from({ length: o.clientProcesses }, (_, i) => startWorker('fanout-client.ts', { name: `fanout-client-${i}` }))
  const start = async (name: string): Promise<Server> => {
    const host = startWorker('server-host.ts', { name: `server-host(${name})` })
    const { url } = await host.call<{ url: string }>('startService', { env: { KISMET_ENABLED: 'false' } })
    return { name, host, url }
  }
  const plain = await start('kismet-ws batched')
  const filtered = await start(`kismet-ws batched, ${o.filters} filters`)
  const servers = [plain, filtered]
  const rows: Row[] = []
  try {
    const per = Math.ceil(o.clients / clients.length)
    const counts = clients.map((_, i) => Math.max(0, Math.min(per, o.clients - i * per)))
    const filters = benchFilters(o.filters)
    for (const server of servers) {
      const t0 = Date.now()
      const connected = await Promise.all(clients.map((c, i) => c.call<{ connected: number }>('connect', { key: server.name, url: server.url, count: counts[i], kind: 'protocol' }, 180_000)))
      const total = connected.reduce((a, c) => a + c.connected, 0)
      if (total !== o.clients) throw new Error(`${server.name}: only ${total} of ${o.clients} clients connected`)
      // Client i of each process takes filter (offset + i) % filters: every filter is used.
      await Promise.all(
        clients.map((c, p) => {
          const offset = clients.slice(0, p).reduce((a, _, j) => a + counts[j]!, 0)
          const options = server === plain ? [{ batch: true }] : filters.map((_, i) => ({ batch: true, filter: filters[(offset + i) % filters.length] }))
          return c.call('subscribeEach', { key: server.name, options }, 60_000)
        }),
      )
      log(`  ${o.clients} protocol clients connected to ${server.name} and subscribed in ${Date.now() - t0} ms`)
    }
    await sleep(500)
    for (const server of servers) await segment(server, `${server.name} warm-up`, clients, o, o.warmupMs)
    const [base, main, parts] = await alternatingSegments(plain, filtered, clients, o)
    for (const r of [main, base]) log(describeRun(r))
    const errors = await clientErrors(clients)
    if (errors.errors > 0) throw new Error(`the protocol clients reported ${errors.errors} errors: ${errors.samples.join(' | ')}`)
    const scenario = '9 filtered fan-out'
    const label = `${o.clients} clients over ${o.filters} filters x ${o.rate} ev/s, batched`
    const allConnected = main.connectedMin === o.clients && base.connectedMin === o.clients
    rows.push(
      row(scenario, `delivered envelopes/s, all clients (${label}; target ${fmt(o.rate * o.clients)})`, main, base, 'deliveriesPerSec', '/s', '>= 0.8x unfiltered', allConnected && main.deliveriesPerSec / base.deliveriesPerSec >= 0.8),
      row(scenario, 'server CPU per delivered envelope', main, base, 'serverCpuUsPerDelivery', 'µs', 'info', null),
      row(scenario, 'latency p99', main, base, 'p99', 'ms', 'info', null),
    )
    return { rows, details: { options: o, runs: [main, base], segments: parts.map(({ hist: _hist, ...rest }) => rest) } }
  } finally {
    await Promise.all(clients.map((c) => c.call('close').catch(() => undefined)))
    await Promise.all([...clients, ...servers.map((s) => s.host)].map((w) => w.stop()))
  }
}
