// Scenario 12: scale-out. The same protocol clients (fanout-client.ts) subscribed to
// `devices`, one packet per envelope, on two servers measured in alternating segments:
// - baseline: ROLE=all, the in-memory adapter (the single box), publishing through app.events;
// - gateway: ROLE=gateway on the Redis streams adapter, fed by a producer stand-in in another
//   process (a Socket.IO server that never listens, on the same adapter, emitting to the
//   `devices` room as a producer's Broadcaster does). Its latency (envelope timestamp at the
//   publisher -> receipt by a client of the gateway, one machine clock) is the time from a
//   producer's publish to a client on another server, through Redis.
// Then the same at a low rate, for latency alone. A real redis-server of the bench's own runs
// on a free port (no persistence). CPU figures of the gateway run are the publisher's (the
// process that drives); delivered envelopes/s and latency are the clients'.
// Then batched: the clients opt in (`subscribe(['devices'], { batch: true })`) and both servers
// stream at `batchedRate`; on the gateway, its own Broadcaster gathers the stream's envelopes.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { alternatingSegments, clientErrors, combine, describeRun, row, segment, type FanoutOptions, type Server } from './fanout.js'
import { sleep, startWorker, type Worker } from './lib/ipc.js'
import type { Row, ScenarioResult } from './lib/report.js'
import { fmt } from './lib/stats.js'
import { freePort } from './startup.js'

export interface ScaleOutOptions extends FanoutOptions {
  /** The low rate for latency alone (events/s). */
  latencyRate: number
  latencyMs: number
  maxLen: number
  /** The rate of the batched segments (clients opted in with subscribe(..., { batch: true })). */
  batchedRate: number
}

async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'kismet-ws-bench-redis-'))
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000)
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString()
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)))
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function runScaleOut(o: ScaleOutOptions, log: (line: string) => void): Promise<ScenarioResult> {
  const redis = await startRedis()
  const clients: Worker[] = Array.from({ length: o.clientProcesses }, (_, i) => startWorker('fanout-client.ts', { name: `scale-client-${i}` }))
  const svcHost = startWorker('server-host.ts', { name: 'server-host(ROLE=all)' })
  const gatewayHost = startWorker('server-host.ts', { name: 'server-host(ROLE=gateway)' })
  const publisherHost = startWorker('server-host.ts', { name: 'server-host(publisher)' })
  const hosts = [svcHost, gatewayHost, publisherHost]
  try {
    const { url: svcUrl } = await svcHost.call<{ url: string }>('startService', { env: { KISMET_ENABLED: 'false' } })
    const { url: gatewayUrl } = await gatewayHost.call<{ url: string }>('startService', {
      env: { KISMET_ENABLED: 'false', ROLE: 'gateway', REDIS_URL: redis.url, REDIS_STREAM_MAXLEN: String(o.maxLen) },
    })
    await publisherHost.call('startStreamPublisher', { redisUrl: redis.url, maxLen: o.maxLen })
    const single: Server = { name: 'ROLE=all (in-memory adapter)', host: svcHost, url: svcUrl }
    // Driven by the publisher; counted at the gateway's clients.
    const gateway: Server = { name: 'gateway (streams adapter)', host: publisherHost, url: gatewayUrl }
    const per = Math.ceil(o.clients / clients.length)
    for (const server of [single, gateway]) {
      const connected = await Promise.all(clients.map((c, i) => c.call<{ connected: number }>('connect', { key: server.name, url: server.url, count: Math.max(0, Math.min(per, o.clients - i * per)), kind: 'protocol' }, 180_000)))
      const total = connected.reduce((a, c) => a + c.connected, 0)
      if (total !== o.clients) throw new Error(`${server.name}: only ${total} of ${o.clients} clients connected`)
      log(`  ${o.clients} protocol clients connected to ${server.name}`)
    }
    await sleep(500)
    for (const server of [single, gateway]) await segment(server, `${server.name} warm-up`, clients, o, o.warmupMs)
    const [base, main] = await alternatingSegments(single, gateway, clients, o)
    const lowBase = combine(`${single.name} @${o.latencyRate}/s`, [await segment(single, single.name, clients, o, o.latencyMs, o.latencyRate)])
    const lowMain = combine(`${gateway.name} @${o.latencyRate}/s`, [await segment(gateway, gateway.name, clients, o, o.latencyMs, o.latencyRate)])
    // Batched: the same clients opt in, and the servers stream faster.
    for (const server of [single, gateway]) await Promise.all(clients.map((c) => c.call('optIn', { key: server.name, via: 'subscribe' }, 60_000)))
    await sleep(300)
    for (const server of [single, gateway]) await segment(server, `${server.name} batched warm-up`, clients, o, o.warmupMs, o.batchedRate)
    const [batchedBase, batchedMain] = await alternatingSegments(single, gateway, clients, o, { rate: o.batchedRate, label: (server) => `${server.name} batched` })
    for (const run of [main, base, lowMain, lowBase, batchedMain, batchedBase]) log(describeRun(run))
    const errors = await clientErrors(clients)
    if (errors.errors > 0) throw new Error(`the protocol clients reported ${errors.errors} errors: ${errors.samples.join(' | ')}`)
    const scenario = '12 scale-out'
    const label = `${o.clients} clients x ${o.rate} ev/s, one packet per envelope`
    const allConnected = main.connectedMin === o.clients
    const rows: Row[] = [
      row(scenario, `delivered envelopes/s through one gateway (${label}; target ${fmt(o.rate * o.clients)})`, main, base, 'deliveriesPerSec', '/s', '>= 0.7x ROLE=all', allConnected && main.deliveriesPerSec / base.deliveriesPerSec >= 0.7),
      row(scenario, 'latency p50, producer publish -> client of a gateway', main, base, 'p50', 'ms', 'info', null),
      row(scenario, 'latency p99, producer publish -> client of a gateway', main, base, 'p99', 'ms', 'info (<= 50 ms is the batched goal)', null),
      row(scenario, `latency p50 at ${o.latencyRate} ev/s`, lowMain, lowBase, 'p50', 'ms', 'info', null),
      row(scenario, `latency p99 at ${o.latencyRate} ev/s`, lowMain, lowBase, 'p99', 'ms', 'info', null),
      row(`${scenario} (batched)`, `delivered envelopes/s through one gateway (${o.clients} clients x ${o.batchedRate} ev/s; target ${fmt(o.batchedRate * o.clients)})`, batchedMain, batchedBase, 'deliveriesPerSec', '/s', '>= 0.7x ROLE=all', batchedMain.connectedMin === o.clients && batchedMain.deliveriesPerSec / batchedBase.deliveriesPerSec >= 0.7),
      row(`${scenario} (batched)`, 'latency p99, producer publish -> client of a gateway', batchedMain, batchedBase, 'p99', 'ms', '<= 50 ms', batchedMain.connectedMin === o.clients && batchedMain.p99 <= 50),
    ]
    return { rows, details: { options: o, runs: [main, base, lowMain, lowBase, batchedMain, batchedBase] } }
  } finally {
    await Promise.all(clients.map((c) => c.call('close').catch(() => undefined)))
    await Promise.all(hosts.map((h) => h.call('close').catch(() => undefined)))
    await Promise.all([...clients, ...hosts].map((w) => w.stop()))
    await redis.stop()
  }
}
