// Kismet failing in every way the simulator can: down at start, killed in the middle of a
// cycle, restarted with a new start time, slower than KISMET_TIMEOUT_MS, a 200 with garbage,
// a 200 cut short with an `ERROR:` tail, 401/403, 5xx, an answer of many megabytes.
//
// For each: the service does not crash, publishes the right connection state (system:status
// to clients and GET /api/kismet/ws/status), recovers when the fault ends, and then the
// table a Socket.IO client built from its snapshot and the updates it received, applied in
// order, equals the simulator's ground truth; every alert arrived exactly once; devices
// added and removed during the fault show up as `new` and `remove` afterwards.
//
// Time is a ManualClock (test/support/pipeline.ts): a test runs poll cycles itself and
// moves time to let throttle windows end. Only the timeout case uses real time (got's timer).
import t, { type Test } from 'tap'
import type { SimFault, SimFaultOptions } from '../../sim/simulator.js'
import type { AnyEnvelope, ConnectionState, SubscriptionAck, Topic } from '../../src/events.js'
import type { KismetErrorKind } from '../../src/kismet/errors.js'
import { startPipeline, type Pipeline } from '../support/pipeline.js'
import { createClient, EnvelopeRecorder, waitFor, type ClientSocket } from '../support/socket.js'
import { envelopeErrors } from '../support/schemas.js'
import { ClientTable, tableDifferences } from './client-table.js'

const TOPICS: Topic[] = ['devices', 'alerts', 'system', 'scan']

interface Harness {
  p: Pipeline
  client: ClientSocket
  recorder: EnvelopeRecorder
  table: ClientTable
  /** Hashes of every alert the simulator raised in this test. */
  raised: string[]
}

async function harness(t: Test, options: { devices?: number; env?: Record<string, string>; firstCycle?: boolean } = {}): Promise<Harness> {
  const p = await startPipeline(t, { sim: { devices: options.devices ?? 12 }, ...(options.env && { env: options.env }) })
  const client = createClient(t, p.url)
  const recorder = new EnvelopeRecorder(client)
  const table = new ClientTable()
  client.on('event', (envelope) => table.apply(envelope))
  await waitFor(client, 'connected')
  const ack = await new Promise<SubscriptionAck>((resolve) => client.emit('subscribe', TOPICS, resolve))
  if (!ack.ok) throw new Error('subscribe refused')
  const h: Harness = { p, client, recorder, table, raised: [] }
  if (options.firstCycle !== false) {
    await p.cycle()
    await settle(h)
  }
  return h
}

/**
 * Ends every throttle window (so trailing values go out), then waits until the client has
 * received the last envelope published so far: it then holds everything the service sent.
 */
async function settle(h: Harness): Promise<void> {
  h.p.advance(2500)
  const last = h.p.envelopes.at(-1)
  if (!last) return
  await h.recorder.until((got) => got.some((e) => e.id === last.id), 10_000)
}

async function restState(h: Harness): Promise<{ state: ConnectionState; connected: boolean; retries: number; deviceCount: number }> {
  const response = await h.p.app.inject({ method: 'GET', url: '/api/kismet/ws/status' })
  return (response.json() as { data: { kismet: { state: ConnectionState; connected: boolean; retries: number; deviceCount: number } } }).data.kismet
}

/** The state is what the poller, REST and the client's latest system:status all say. */
async function assertState(t: Test, h: Harness, state: ConnectionState): Promise<void> {
  t.equal(h.p.pipeline.poller.state, state, `poller state ${state}`)
  const rest = await restState(h)
  t.equal(rest.state, state, `/status says ${state}`)
  t.equal(rest.connected, state === 'connected', `/status connected is ${state === 'connected'}`)
  t.equal(h.table.lastState, state, `the client's latest system:status says ${state}`)
}

/** The client's table equals a fresh full read of Kismet; no anomaly; every alert once. */
async function assertConverged(t: Test, h: Harness): Promise<void> {
  await settle(h)
  const truth = await h.p.truth()
  t.same(tableDifferences(h.table.table(), truth), [], 'the client table equals the ground truth')
  t.same(h.table.table().map((d) => d.key), truth.map((d) => d.key).sort(), 'same keys')
  t.same(h.table.anomalies, [], 'no anomaly in the stream (order, repeats, changes, ids)')
  const received = h.table.alerts.map((a) => a.id).sort()
  t.same(received, [...h.raised].sort(), 'every alert raised arrived, exactly once')
  const invalid = h.recorder.envelopes.flatMap((e) => envelopeErrors(e).map((err) => `${e.type}: ${err}`))
  t.same(invalid, [], 'every envelope matches its schema')
}

function raise(h: Harness, header = 'DEAUTHFLOOD'): string {
  const alert = h.p.sim.raiseAlert({ header })
  h.raised.push(String(alert.hash))
  return String(alert.hash)
}

/**
 * Changes in Kismet while the service may not see them: some devices come, some go (Kismet
 * forgets them), one changes, an alert. Kismet never reports that it forgot a device: the
 * service learns it from a full read (after any failure) or when the TTL passes, so a test
 * whose cycles all succeed churns without removals.
 */
function churn(h: Harness, label: string, options: { remove?: boolean } = {}): { added: string[]; removed: string[]; transient: string } {
  const sim = h.p.sim
  const known = [...h.table.devices.keys()].filter((key) => sim.getDevice(key))
  const removed = options.remove === false ? [] : known.slice(0, 2)
  for (const key of removed) sim.removeDevice(key)
  const renamed = known[2]
  if (renamed) sim.updateDevice(renamed, { name: `renamed-${label}`, commonname: `renamed-${label}` })
  for (const key of known.slice(3, 6)) sim.touchDevice(key)
  const added = [sim.addDevice().key, sim.addDevice().key]
  // Comes and goes before the service can see it: must never show up.
  const transient = sim.addDevice().key
  sim.removeDevice(transient)
  // Access points beacon all the time: Kismet hears them again, so a change of their client
  // count (a client came or went) is seen by the next incremental poll.
  for (const device of sim.devices()) if (device.type === 'Wi-Fi AP') sim.touchDevice(device.key)
  raise(h, 'APSPOOF')
  return { added, removed, transient }
}

/** device:update envelopes the client received after index `from`, as "action key". */
function actionsSince(h: Harness, from: number): string[] {
  return h.recorder.envelopes
    .slice(from)
    .flatMap((e: AnyEnvelope) => (e.type === 'device:update' ? [`${e.data.action} ${e.data.device.key}`] : []))
}

function deviceAndAlertEvents(envelopes: AnyEnvelope[]): AnyEnvelope[] {
  return envelopes.filter((e) => e.type === 'device:update' || e.type === 'signal:update' || e.type === 'alert:new')
}

/** Waits (bounded) until `condition` holds; polls every few milliseconds. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** Recovery after a fault: the churn made during it shows up as new/remove, and all converges. */
async function recoverAndCheck(t: Test, h: Harness, during: ReturnType<typeof churn>, from: number): Promise<void> {
  h.p.advance(1000)
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  const actions = actionsSince(h, from)
  for (const key of during.added) t.ok(actions.includes(`new ${key}`), `device added during the fault arrives as new (${key})`)
  for (const key of during.removed) t.ok(actions.includes(`remove ${key}`), `device removed during the fault arrives as remove (${key})`)
  t.notOk(actions.some((a) => a.endsWith(during.transient)), 'a device that came and went during the fault never shows')
  await assertConverged(t, h)
}

t.test('Kismet down at start: backoff is published, then the first contact loads everything', async (t) => {
  const h = await harness(t, { firstCycle: false })
  const greeting = h.p.pipeline.poller.state
  t.equal(greeting, 'connecting', 'before the first cycle the state is connecting')
  await h.p.sim.goDown()
  await h.p.cycle()
  h.p.advance(1000)
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'backoff')
  t.equal((await restState(h)).retries, 2, 'two retries counted')
  t.equal(h.p.pipeline.stats.kismetErrors.unreachable, 2, 'counted as unreachable')
  t.same(h.table.devices.size, 0, 'nothing known yet')
  // Kismet lives on without us meanwhile.
  h.p.sim.addDevice()
  raise(h)
  await h.p.sim.comeUp()
  h.p.advance(1000)
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  t.equal(h.table.devices.size, h.p.sim.devices().length, 'every device arrived')
  t.ok(h.table.states.includes('backoff'), 'the client saw backoff before connected')
  await assertConverged(t, h)
})

for (const stage of [1, 2, 3] as const) {
  const after = ['system status', 'the device list', 'the alerts'][stage - 1]
  t.test(`Kismet killed mid-cycle (after ${after} arrived, next request in flight)`, async (t) => {
    const h = await harness(t)
    const from = h.recorder.envelopes.length
    const during = churn(h, `kill${stage}`)
    const requestsBefore = h.p.pipeline.stats.kismetRequests
    const published = h.p.envelopes.length
    h.p.sim.setLatency(300)
    h.p.advance(1000)
    const cycle = h.p.cycle()
    // The answers arrive one by one; once `stage` of them are in, the next one is on its way.
    await until(() => h.p.pipeline.stats.kismetRequests >= requestsBefore + stage, `${stage} answers`)
    await h.p.sim.goDown()
    await cycle
    t.equal(h.p.pipeline.poller.state, 'backoff', 'a cycle cut off is a failure')
    t.same(deviceAndAlertEvents(h.p.envelopes.slice(published)), [], 'nothing of the half-done cycle was applied')
    // The outage goes on; Kismet changes more.
    h.p.advance(1000)
    await h.p.cycle()
    const more = churn(h, `kill${stage}b`)
    await settle(h)
    await assertState(t, h, 'backoff')
    h.p.sim.setLatency(0)
    await h.p.sim.comeUp()
    await recoverAndCheck(t, h, { added: [...during.added, ...more.added], removed: [...during.removed, ...more.removed], transient: more.transient }, from)
  })
}

/** Kismet's devices the service has not heard since before `from` leave one TTL after they were last heard. */
const TTL_MS = 300_000

t.test('Kismet restarted with a new start time and an empty table: nothing leaves at once, the new run\'s devices are new, the unheard leave after DEVICE_TTL_S', async (t) => {
  const h = await harness(t)
  raise(h)
  h.p.advance(1000)
  await h.p.cycle()
  const startedAt = h.p.pipeline.poller.link.startedAt
  const before = [...h.table.devices.keys()]
  const from = h.recorder.envelopes.length
  h.p.advance(5000)
  h.p.sim.restart({ keepDevices: false })
  // The new Kismet hears a fresh set of devices first, and one device of before; a new alert.
  const fresh = [h.p.sim.addDevice().key, h.p.sim.addDevice().key, h.p.sim.addDevice().key]
  const heardAgain = before[0]!
  h.p.sim.addDevice({ mac: h.table.devices.get(heardAgain)!.mac })
  raise(h, 'APSPOOF')
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  t.not(h.p.pipeline.poller.link.startedAt, startedAt, 'the new start time is published')
  let actions = actionsSince(h, from)
  t.same(actions.filter((a) => a.startsWith('remove')), [], 'a restart is not evidence that a device left: nothing removed')
  t.same(actions.filter((a) => a.startsWith('new')).sort(), fresh.map((k) => `new ${k}`).sort(), 'the new run\'s devices are new, the one heard again is not')
  t.same([...h.table.devices.keys()].sort(), [...before, ...fresh].sort(), 'the table keeps the unheard devices for now')

  // Time passes; the new run keeps hearing its devices. The unheard leave one TTL after they were last heard.
  h.p.advance(TTL_MS)
  for (const key of [...fresh, heardAgain]) h.p.sim.touchDevice(key)
  await h.p.cycle()
  await settle(h)
  actions = actionsSince(h, from)
  t.same(actions.filter((a) => a.startsWith('remove')).sort(), before.slice(1).map((k) => `remove ${k}`).sort(), 'each unheard device removed once, by the TTL')
  t.notOk(actions.includes(`new ${heardAgain}`), 'a device heard again keeps its identity')
  await assertConverged(t, h)
})

t.test('Kismet comes back as another server (new server UUID): the old key space ends at once', async (t) => {
  const h = await harness(t)
  h.p.advance(1000)
  await h.p.cycle()
  const before = [...h.table.devices.keys()]
  const from = h.recorder.envelopes.length
  h.p.advance(5000)
  h.p.sim.restart({ keepDevices: false, newServerUuid: true })
  const fresh = [h.p.sim.addDevice().key, h.p.sim.addDevice().key]
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  const actions = actionsSince(h, from)
  t.same(actions.filter((a) => a.startsWith('remove')).sort(), before.map((k) => `remove ${k}`).sort(), 'every device of the other server removed, once')
  t.same(actions.filter((a) => a.startsWith('new')).sort(), fresh.map((k) => `new ${k}`).sort(), 'the new server\'s devices are new')
  await assertConverged(t, h)
})

t.test('Kismet restarted while the service could not reach it, keeping some devices', async (t) => {
  const h = await harness(t)
  const from = h.recorder.envelopes.length
  await h.p.sim.goDown()
  h.p.advance(1000)
  await h.p.cycle()
  const during = churn(h, 'restart')
  h.p.advance(5000)
  h.p.sim.restart({ keepDevices: true })
  // The alert churn() raised was in Kismet's backlog only: the restart lost it before anyone
  // could read it (Kismet's loss, not the service's).
  h.raised.pop()
  // Alerts of the old run that the service saw are gone from Kismet; a new one is raised.
  raise(h, 'NOCLIENTMFP')
  const heard = h.p.sim.devices().slice(0, 4).map((d) => d.key)
  for (const key of heard) h.p.sim.touchDevice(key)
  await h.p.sim.comeUp()
  h.p.advance(1000)
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  let actions = actionsSince(h, from)
  for (const key of during.added) t.ok(actions.includes(`new ${key}`), `device added during the fault arrives as new (${key})`)
  t.notOk(actions.some((a) => a.endsWith(during.transient)), 'a device that came and went during the fault never shows')
  t.notOk(actions.some((a) => a.startsWith('new') && !during.added.includes(a.slice(4))), 'survivors keep their identity: no spurious new')
  t.same(actions.filter((a) => a.startsWith('remove')), [], 'nothing removed by the restart itself')

  // Kismet forgot two devices during the outage: after the restart that is indistinguishable
  // from not having heard them yet, so they leave by the TTL.
  h.p.advance(TTL_MS)
  for (const device of h.p.sim.devices()) h.p.sim.touchDevice(device.key)
  await h.p.cycle()
  await settle(h)
  actions = actionsSince(h, from)
  for (const key of during.removed) t.ok(actions.includes(`remove ${key}`), `device Kismet forgot leaves by the TTL (${key})`)
  await assertConverged(t, h)
})

t.test('a restart seen by a cycle that then fails still spares the unheard devices on the next good one', async (t) => {
  const h = await harness(t)
  h.p.advance(1000)
  await h.p.cycle()
  const before = [...h.table.devices.keys()]
  const from = h.recorder.envelopes.length
  h.p.advance(5000)
  h.p.sim.restart({ keepDevices: false })
  h.p.sim.setFault({ kind: 'status', status: 503 }, { paths: /^\/devices\//, times: 1 })
  await h.p.cycle()
  t.equal(h.p.pipeline.poller.state, 'backoff', 'the cycle that saw the restart failed on the devices')
  h.p.advance(1000)
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  t.same(actionsSince(h, from).filter((a) => a.startsWith('remove')), [], 'no device removed')
  t.same([...h.table.devices.keys()].sort(), [...before].sort(), 'the table kept them')
})

t.test('Kismet slower than KISMET_TIMEOUT_MS: timeout, backoff, and no pile-up of requests', async (t) => {
  const h = await harness(t, { env: { KISMET_TIMEOUT_MS: '250' } })
  const from = h.recorder.envelopes.length
  const during = churn(h, 'slow')
  h.p.sim.setLatency(700)
  h.p.advance(1000)
  const started = Date.now()
  // A second call while the cycle runs joins it: at most one cycle at a time.
  const [first, second] = [h.p.cycle(), h.p.cycle()]
  t.equal(first, second, 'one cycle at a time')
  await first
  t.ok(Date.now() - started < 2000, 'the cycle gave up after the timeout, not after the answer')
  t.equal(h.p.pipeline.stats.kismetErrors.timeout, 1, 'one request timed out')
  h.p.advance(1000)
  await h.p.cycle()
  t.equal(h.p.pipeline.stats.kismetErrors.timeout, 2, 'then one per cycle')
  await settle(h)
  await assertState(t, h, 'backoff')
  h.p.sim.setLatency(0)
  await recoverAndCheck(t, h, during, from)
})

interface FaultCase {
  name: string
  fault: SimFault
  options?: SimFaultOptions
  kind: KismetErrorKind
  state: ConnectionState
  /** Settings for the service under test, where a case needs its own. */
  env?: Record<string, string>
}

const FAULTS: FaultCase[] = [
  { name: 'a 200 with garbage instead of the device list', fault: { kind: 'garbage' }, options: { paths: /^\/devices\// }, kind: 'bad_body', state: 'backoff' },
  { name: 'a 200 with garbage instead of the system status', fault: { kind: 'garbage' }, options: { paths: /^\/system\// }, kind: 'bad_body', state: 'backoff' },
  { name: 'a 200 cut short with an ERROR: tail (device list)', fault: { kind: 'truncated' }, options: { paths: /^\/devices\// }, kind: 'bad_body', state: 'backoff' },
  { name: 'a 200 cut short with an ERROR: tail (alerts)', fault: { kind: 'truncated' }, options: { paths: /^\/alerts\// }, kind: 'bad_body', state: 'backoff' },
  { name: 'a 401 on every request', fault: { kind: 'unauthorized' }, kind: 'unauthorized', state: 'auth_failed' },
  { name: 'a 401 on the alerts only (a role problem)', fault: { kind: 'unauthorized' }, options: { paths: /^\/alerts\// }, kind: 'unauthorized', state: 'auth_failed' },
  { name: 'a 403 from a proxy', fault: { kind: 'status', status: 403 }, kind: 'unauthorized', state: 'auth_failed' },
  { name: 'a 500 on the datasources', fault: { kind: 'status', status: 500 }, options: { paths: /^\/datasource\// }, kind: 'http', state: 'backoff' },
  { name: 'a 503 on everything', fault: { kind: 'status', status: 503 }, kind: 'http', state: 'backoff' },
  { name: 'an answer of 72 MB (over the 64 MiB cap)', fault: { kind: 'huge', bytes: 72 * 1024 * 1024 }, options: { paths: /^\/system\// }, kind: 'bad_body', state: 'backoff',
    // The cap must be what stops it, not the request timeout on a busy machine.
    env: { KISMET_TIMEOUT_MS: '60000' } },
]

for (const c of FAULTS) {
  t.test(`${c.name}: ${c.state}, then recovery with nothing lost`, async (t) => {
    const h = await harness(t, c.env ? { env: c.env } : {})
    const from = h.recorder.envelopes.length
    const published = h.p.envelopes.length
    h.p.sim.setFault(c.fault, c.options)
    const during = churn(h, c.name)
    h.p.advance(1000)
    await h.p.cycle()
    h.p.advance(1000)
    await h.p.cycle()
    t.equal(h.p.pipeline.stats.kismetErrors[c.kind], 2, `two ${c.kind} errors counted`)
    t.same(deviceAndAlertEvents(h.p.envelopes.slice(published)), [], 'no device or alert event from a failed cycle')
    await settle(h)
    await assertState(t, h, c.state)
    t.equal((await restState(h)).retries, 2, 'retries published')
    t.equal(h.table.devices.size, (await restState(h)).deviceCount, 'the table is kept meanwhile')
    h.p.sim.setFault(null)
    await recoverAndCheck(t, h, during, from)
  })
}

t.test('an answer of many megabytes under the cap (16 MB of alerts) is read and used', async (t) => {
  const h = await harness(t)
  const from = h.recorder.envelopes.length
  const bytesBefore = h.p.pipeline.stats.bytesReceived
  h.p.sim.setFault({ kind: 'huge', bytes: 16 * 1024 * 1024 }, { paths: /^\/alerts\//, times: 1 })
  const during = churn(h, 'huge', { remove: false })
  h.p.advance(1000)
  await h.p.cycle()
  t.ok(h.p.pipeline.stats.bytesReceived - bytesBefore >= 16 * 1024 * 1024, 'the whole answer was read')
  t.equal(h.p.pipeline.stats.totalKismetErrors, 0, 'no error')
  await settle(h)
  await assertState(t, h, 'connected')
  const actions = actionsSince(h, from)
  for (const key of during.added) t.ok(actions.includes(`new ${key}`), 'new devices arrive')
  await assertConverged(t, h)
})

t.test('faults one after another, each recovered from, and the stream stays whole', async (t) => {
  const h = await harness(t, { devices: 30 })
  const sequence: Array<{ apply: () => Promise<void> | void; clear: () => Promise<void> | void }> = [
    { apply: () => h.p.sim.setFault({ kind: 'garbage' }), clear: () => h.p.sim.setFault(null) },
    { apply: () => h.p.sim.goDown(), clear: () => h.p.sim.comeUp() },
    { apply: () => h.p.sim.setFault({ kind: 'unauthorized' }), clear: () => h.p.sim.setFault(null) },
    { apply: () => h.p.sim.setFault({ kind: 'truncated' }, { paths: /^\/devices\// }), clear: () => h.p.sim.setFault(null) },
    { apply: () => h.p.sim.restart({ keepDevices: true }), clear: () => undefined },
    { apply: () => h.p.sim.setFault({ kind: 'status', status: 500 }), clear: () => h.p.sim.setFault(null) },
  ]
  let round = 0
  for (const step of sequence) {
    round += 1
    await step.apply()
    churn(h, `seq${round}`)
    h.p.advance(1500)
    await h.p.cycle()
    h.p.sim.tick({ join: 0.5, leave: 0.3, alert: 0 })
    await step.clear()
    h.p.advance(1500)
    await h.p.cycle()
    h.p.advance(600)
    await h.p.cycle()
  }
  await assertState(t, h, 'connected')
  await assertConverged(t, h)
})

t.test('Kismet killed between pages of a full load (1,200 devices): the partial load is not used', async (t) => {
  const h = await harness(t, { devices: 1200 })
  t.equal(h.table.devices.size, 1200, 'the initial load came in pages')
  const from = h.recorder.envelopes.length
  // A failure forces a full (paged) load; kill Kismet while its second page is on the way.
  h.p.sim.setFault({ kind: 'status', status: 500 }, { times: 1 })
  h.p.advance(1000)
  await h.p.cycle()
  const during = churn(h, 'pages')
  const requestsBefore = h.p.pipeline.stats.kismetRequests
  const published = h.p.envelopes.length
  h.p.sim.setLatency(300)
  h.p.advance(1000)
  const cycle = h.p.cycle()
  await until(() => h.p.pipeline.stats.kismetRequests >= requestsBefore + 2, 'status and the first page')
  await h.p.sim.goDown()
  await cycle
  t.equal(h.p.pipeline.poller.state, 'backoff')
  t.same(deviceAndAlertEvents(h.p.envelopes.slice(published)), [], 'nothing of the first page was applied (no mass remove)')
  h.p.sim.setLatency(0)
  await h.p.sim.comeUp()
  await recoverAndCheck(t, h, during, from)
})

t.test('the heartbeat notices an outage while the loop is idle and publishes it', async (t) => {
  const h = await harness(t, { env: { HEARTBEAT_INTERVAL_MS: '5000' } })
  await h.p.sim.goDown()
  h.p.advance(5000) // the heartbeat asks Kismet
  await until(() => h.p.pipeline.poller.state === 'backoff', 'the heartbeat to fail')
  await settle(h)
  await assertState(t, h, 'backoff')
  const from = h.recorder.envelopes.length
  const during = churn(h, 'heartbeat')
  await h.p.sim.comeUp()
  await recoverAndCheck(t, h, during, from)
})

t.test('a refresh requested while a slow cycle runs still gets its full resync', async (t) => {
  const h = await harness(t)
  const [gone] = [...h.table.devices.keys()]
  h.p.sim.setLatency(200)
  h.p.advance(1000)
  const pollsBefore = h.p.pipeline.stats.polls
  const requestsBefore = h.p.pipeline.stats.kismetRequests
  const cycle = h.p.cycle()
  // Once the status is in, the cycle has chosen an incremental read; its device request is on the way.
  await until(() => h.p.pipeline.stats.kismetRequests > requestsBefore, 'the cycle to be under way')
  // Kismet forgets a device: only a full read can tell. The operator asks for one.
  h.p.sim.removeDevice(gone!)
  const refresh = await h.p.app.inject({ method: 'POST', url: '/api/kismet/ws/refresh' })
  t.equal(refresh.statusCode, 200, 'refresh accepted')
  await cycle
  await until(() => h.p.pipeline.stats.polls >= pollsBefore + 2, 'the resync after the running cycle', 5000).catch(() => undefined)
  await settle(h)
  t.notOk(h.table.devices.has(gone!), 'the resync ran and the forgotten device was removed')
  t.ok(h.p.pipeline.stats.polls >= pollsBefore + 2, 'a second cycle ran for the refresh')
  h.p.sim.setLatency(0)
  await assertConverged(t, h)
})

/** A harness whose Kismet clock can be set apart from the service's (see Pipeline.setKismetSkew). */
async function skewedHarness(t: Test): Promise<Harness & { setSkew(ms: number): void; kismetNow(): number }> {
  const h = await harness(t)
  return { ...h, setSkew: (ms: number) => h.p.setKismetSkew(ms), kismetNow: () => h.p.kismetNow() }
}

/** An alert stamped with Kismet's own clock (the simulator otherwise keeps alert times increasing). */
function raiseNow(h: Harness & { kismetNow(): number }, header: string): void {
  const alert = h.p.sim.raiseAlert({ header, timestamp: h.kismetNow() / 1000 })
  h.raised.push(String(alert.hash))
}

t.test('Kismet restarted with its clock set back (a sensor without RTC): the new run\'s devices and alerts arrive', async (t) => {
  const h = await skewedHarness(t)
  raiseNow(h, 'DEAUTHFLOOD')
  h.p.advance(2000)
  await h.p.cycle()
  const from = h.recorder.envelopes.length
  const before = [...h.table.devices.keys()]
  h.setSkew(-2 * 3_600_000)
  h.p.sim.restart({ keepDevices: false })
  const fresh = [h.p.sim.addDevice().key, h.p.sim.addDevice().key]
  raiseNow(h, 'APSPOOF')
  h.p.advance(2000)
  await h.p.cycle()
  h.p.advance(2000)
  const later = h.p.sim.addDevice().key
  raiseNow(h, 'BEACONRATE')
  await h.p.cycle()
  await settle(h)
  await assertState(t, h, 'connected')
  const actions = actionsSince(h, from)
  t.same(actions.filter((a) => a.startsWith('remove')).sort(), before.map((k) => `remove ${k}`).sort(), 'the old run\'s devices removed')
  t.same(actions.filter((a) => a.startsWith('new')).sort(), [...fresh, later].map((k) => `new ${k}`).sort(), 'the new run\'s devices arrive')
  await assertConverged(t, h)
})

t.test('Kismet\'s clock stepped back while running (NTP): changes and alerts keep arriving', async (t) => {
  const h = await skewedHarness(t)
  raiseNow(h, 'DEAUTHFLOOD')
  h.p.advance(2000)
  await h.p.cycle()
  const from = h.recorder.envelopes.length
  h.setSkew(-10 * 60_000)
  const [renamed] = [...h.table.devices.keys()]
  h.p.sim.updateDevice(renamed!, { name: 'after-step', commonname: 'after-step' })
  const added = h.p.sim.addDevice().key
  raiseNow(h, 'CRYPTODROP')
  h.p.advance(2000)
  await h.p.cycle()
  h.p.advance(2000)
  await h.p.cycle()
  await settle(h)
  const actions = actionsSince(h, from)
  t.ok(actions.includes(`new ${added}`), 'a device heard after the step arrives')
  t.ok(actions.includes(`update ${renamed}`), 'a change made after the step arrives')
  await assertConverged(t, h)
})
