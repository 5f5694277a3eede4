// /metrics as stock dashboards and a Prometheus operator expect it: the process and Node.js
// metrics under their standard names, and every counter /stats has, with the same value (per
// sensor where /stats has it per sensor). Two sensors against simulators, one of them failing,
// clients that subscribe, err and are refused, so the figures are not all zero.
import t from 'tap'
import type { EventbusCounters } from '../../src/api-schemas.js'
import type { KismetCounters } from '../../src/sensors.js'
import { startSensors } from '../support/pipeline.js'
import { createClient, waitFor } from '../support/socket.js'

const TOKEN = 'metrics-token-0123456789'
const auth = { authorization: `Bearer ${TOKEN}` }

/** Prometheus text -> "name{label="v",...}" (labels sorted) -> value. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not a sample line: ${line}`)
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => `${m[1]}="${m[2]}"`).sort()
    samples.set(labels.length > 0 ? `${match[1]}{${labels.join(',')}}` : match[1]!, Number(match[3]))
  }
  return samples
}

function key(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort()
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name
}

/** Every numeric leaf of a JSON value, by path (array items by their `name` when they have one). */
function numericLeaves(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return [path]
  if (Array.isArray(value)) return value.flatMap((item: unknown, i) => numericLeaves(item, `${path}[${(item as { name?: string }).name ?? i}]`))
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numericLeaves(v, path === '' ? k : `${path}.${k}`))
  return []
}

t.test('the process and Node.js metrics keep their standard names', async (t) => {
  const { app } = await startSensors(t, ['north'], { env: { API_TOKEN: TOKEN } })
  const samples = parseMetrics((await app.inject({ url: '/metrics', headers: auth })).body)
  const names = new Set([...samples.keys()].map((k) => k.replace(/\{.*$/, '')))
  for (const name of [
    'process_cpu_seconds_total',
    'process_cpu_user_seconds_total',
    'process_cpu_system_seconds_total',
    'process_start_time_seconds',
    'process_resident_memory_bytes',
    'process_open_fds',
    'nodejs_heap_size_used_bytes',
    'nodejs_heap_size_total_bytes',
    'nodejs_external_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_active_handles_total',
    'nodejs_version_info',
  ]) {
    t.ok(names.has(name), name)
  }
  t.same([...names].filter((name) => /^kismet_ws_(process|nodejs)_/.test(name)), [], 'none carries our prefix')
})

t.test('every counter /stats has is in /metrics, with the same value', async (t) => {
  const harness = await startSensors(t, ['north', 'south'], { env: { API_TOKEN: TOKEN } })
  const { app, url, sims } = harness
  await harness.cycle()
  await harness.cycle()
  await sims['south']!.goDown()
  await harness.cycle()

  const client = createClient(t, url, { auth: { token: TOKEN } })
  await waitFor(client, 'connected')
  await new Promise((resolve) => client.emit('subscribe', ['devices', 'alerts'], resolve))
  await new Promise((resolve) => client.emit('subscribe', 'bogus' as never, resolve))
  const refused = createClient(t, url, { auth: { token: 'wrong-token-0000' } })
  await waitFor(refused, 'connect_error')

  const stats = (await app.inject({ url: '/api/kismet/ws/stats', headers: auth })).json().data
  const samples = parseMetrics((await app.inject({ url: '/metrics', headers: auth })).body)
  const covered = new Set<string>()
  const same = (path: string, statsValue: number, metric: string, scale = 1) => {
    covered.add(path)
    t.equal(samples.get(metric), statsValue * scale, `${path} = ${metric}`)
  }

  same('websocket.clients', stats.websocket.clients, key('kismet_ws_clients'))
  for (const [topic, n] of Object.entries<number>(stats.websocket.rooms)) same(`websocket.rooms.${topic}`, n, key('kismet_ws_subscribers', { topic }))
  covered.add('websocket.uptime')
  t.ok(samples.has('process_start_time_seconds'), 'websocket.uptime: process_start_time_seconds')

  const perSensor = (prefix: string, c: KismetCounters, labels: Record<string, string>) => {
    same(`${prefix}.polls`, c.polls, key('kismet_ws_polls_total', labels))
    same(`${prefix}.requests`, c.requests, key('kismet_ws_kismet_requests_total', labels))
    same(`${prefix}.bytesReceived`, c.bytesReceived, key('kismet_ws_kismet_bytes_received_total', labels))
    same(`${prefix}.devicesTracked`, c.devicesTracked, key('kismet_ws_devices_tracked', labels))
    same(`${prefix}.malformedRecords`, c.malformedRecords, key('kismet_ws_malformed_records_total', labels))
    same(`${prefix}.lastPollMs`, c.lastPollMs, key('kismet_ws_poll_duration_seconds', labels), 1 / 1000)
    let errors = 0
    for (const [kind, n] of Object.entries(c.errorsByKind)) {
      same(`${prefix}.errorsByKind.${kind}`, n, key('kismet_ws_kismet_errors_total', { ...labels, kind }))
      errors += samples.get(key('kismet_ws_kismet_errors_total', { ...labels, kind })) ?? Number.NaN
    }
    covered.add(`${prefix}.errors`)
    t.equal(errors, c.errors, `${prefix}.errors = sum of kismet_ws_kismet_errors_total`)
    t.equal(samples.get(key('kismet_ws_kismet_state', { ...labels, state: c.state })), 1, `${prefix}.state = kismet_ws_kismet_state`)
    const bus = (c as KismetCounters & { eventbus: EventbusCounters }).eventbus
    for (const [topic, n] of Object.entries(bus.frames)) same(`${prefix}.eventbus.frames.${topic}`, n, key('kismet_ws_eventbus_frames_total', { ...labels, topic }))
    same(`${prefix}.eventbus.malformedFrames`, bus.malformedFrames, key('kismet_ws_eventbus_malformed_frames_total', labels))
    same(`${prefix}.eventbus.bytesReceived`, bus.bytesReceived, key('kismet_ws_eventbus_bytes_received_total', labels))
    for (const [field, metric] of [['connects', 'connects'], ['reconnects', 'reconnects'], ['fallbacks', 'fallbacks'], ['stalls', 'stalls'], ['refusals', 'refusals']] as const) {
      same(`${prefix}.eventbus.${field}`, bus[field], key(`kismet_ws_eventbus_${metric}_total`, labels))
    }
    t.equal(samples.get(key('kismet_ws_eventbus_state', { ...labels, state: bus.state })), 1, `${prefix}.eventbus.state = kismet_ws_eventbus_state`)
  }
  for (const sensor of stats.sensors) perSensor(`sensors[${sensor.name}]`, sensor, { sensor: sensor.name })
  t.equal(stats.sensors.find((s: { name: string }) => s.name === 'south').state, 'backoff', 'south is down')
  t.ok(stats.sensors.find((s: { name: string }) => s.name === 'south').errors > 0, 'and has errors')
  // The totals (`kismet`) are the sensors added up, so the sum over the `sensor` label; the
  // longest poll for lastPollMs.
  const at = (record: unknown, field: string) => field.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], record) as number
  for (const path of numericLeaves(stats.kismet, 'kismet')) {
    const field = path.slice('kismet.'.length)
    const each: number[] = stats.sensors.map((sensor: unknown) => at(sensor, field))
    const expected = field === 'lastPollMs' ? Math.max(...each) : each.reduce((a, b) => a + b, 0)
    covered.add(path)
    t.equal(at(stats.kismet, field), expected, `${path}: the sensors' series added up`)
  }

  for (const [type, n] of Object.entries<number>(stats.events.byType)) same(`events.byType.${type}`, n, key('kismet_ws_events_total', { type }))
  covered.add('events.totalEmitted')
  t.equal([...samples].filter(([k]) => k.startsWith('kismet_ws_events_total{')).reduce((a, [, v]) => a + v, 0), stats.events.totalEmitted, 'events.totalEmitted = sum of kismet_ws_events_total')
  t.ok(stats.events.totalEmitted > 0, 'events were emitted')
  same('events.coalesced', stats.events.coalesced, key('kismet_ws_events_coalesced_total'))
  for (const [code, n] of Object.entries<number>(stats.clients.errorsByCode)) same(`clients.errorsByCode.${code}`, n, key('kismet_ws_client_errors_total', { code }))
  t.equal(stats.clients.errorsByCode.INVALID_TOPIC, 1, 'the bogus subscription is counted')
  same('clients.dropped', stats.clients.dropped, key('kismet_ws_clients_dropped_total'))
  for (const [reason, n] of Object.entries<number>(stats.clients.refusedByReason)) same(`clients.refusedByReason.${reason}`, n, key('kismet_ws_connections_refused_total', { reason }))
  covered.add('clients.refused')
  t.equal(stats.clients.refused, 1, 'the wrong token is counted')

  same('websocket.filters.distinct', stats.websocket.filters.distinct, key('kismet_ws_filters'))
  same('websocket.filters.evaluations', stats.websocket.filters.evaluations, key('kismet_ws_filter_evaluations_total'))
  same('watch.entries', stats.watch.entries, key('kismet_ws_watch_entries'))
  same('watch.tracked', stats.watch.tracked, key('kismet_ws_watch_tracked'))
  same('watch.found', stats.watch.found, key('kismet_ws_watch_events_total', { type: 'found' }))
  same('watch.lost', stats.watch.lost, key('kismet_ws_watch_events_total', { type: 'lost' }))
  for (const [kind, n] of Object.entries<number>(stats.tak.events)) same(`tak.events.${kind}`, n, key('kismet_ws_tak_events_total', { kind }))
  for (const output of stats.tak.outputs as Array<Record<string, number | string>>) {
    const labels = { output: String(output['output']) }
    for (const [field, metric] of [['sent', 'sent_total'], ['dropped', 'dropped_total'], ['queued', 'queued'], ['bytesSent', 'bytes_sent_total'], ['bytesReceived', 'bytes_received_total'], ['connects', 'connects_total']] as const) {
      same(`tak.outputs[${labels.output}].${field}`, Number(output[field]), key(`kismet_ws_tak_output_${metric}`, labels))
    }
  }

  const missing = numericLeaves(stats).filter((path) => !covered.has(path))
  t.same(missing, [], 'no /stats counter without its metric')
})
