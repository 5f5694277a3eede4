// The example client (examples/ws-client.ts) run as a user runs it: a child process whose
// printed lines the tests wait for. Against the real service wired to the simulator, and
// against bare Socket.IO servers that send odd data or go away and come back.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { Server } from 'socket.io'
import { KismetSimulator } from '../../sim/simulator.js'
import { startApp, TEST_API_KEY, testEnv, type TestLike } from '../helper.js'
import { onLines } from '../../scripts/lib/log-lines.js'
import { batchRoomOf } from '../../src/realtime/rooms.js'

interface ClientProcess {
  lines: string[]
  /** Resolves with the `nth` (default first) line, printed or to come, matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number, nth?: number): Promise<string>
  exited: Promise<number | null>
  running(): boolean
  interrupt(): void
}

function runClient(t: TestLike, args: string[], env: Record<string, string> = {}): ClientProcess {
  const inherited: NodeJS.ProcessEnv = { ...process.env }
  delete inherited['API_TOKEN']
  delete inherited['KISMET_WS_URL']
  const childEnv: NodeJS.ProcessEnv = { ...inherited, EXAMPLE_PING_INTERVAL_MS: '200', ...env }
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/ws-client.ts', ...args], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const lines: string[] = []
  const wake = new Set<() => void>()
  const collect = (stream: Readable) =>
    onLines(stream, (line) => {
      lines.push(line)
      for (const fn of wake) fn()
    })
  collect(child.stdout)
  collect(child.stderr)
  let ended = false
  void exited.then(() => {
    ended = true
    for (const fn of wake) fn()
  })
  return {
    lines,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    interrupt: () => child.kill('SIGINT'),
    waitFor(pattern, timeoutMs = 10_000, nth = 1) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.filter((l) => pattern.test(l))[nth - 1]
          if (line !== undefined) {
            done()
            resolve(line)
          } else if (ended) {
            done()
            reject(new Error(`the client exited before printing ${pattern}; it printed:\n${lines.join('\n')}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; the client printed:\n${lines.join('\n')}`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          wake.delete(check)
        }
        wake.add(check)
        check()
      })
    },
  }
}

/** A bare Socket.IO server on `port` (0 = any), for the client's side of odd situations. */
async function bareServer(t: TestLike, port = 0): Promise<{ io: Server; port: number; close: () => Promise<void> }> {
  const http = createServer()
  const io = new Server(http)
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve))
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    io.disconnectSockets(true)
    await io.close()
  }
  t.teardown(close)
  return { io, port: (http.address() as AddressInfo).port, close }
}

const MAC = /([0-9A-F]{2}:){5}[0-9A-F]{2}/

t.test('against the service and a simulated Kismet: snapshot, new device, removal, alert, latency', async (t) => {
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, devices: 5, seed: 3 })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const { url } = await startApp(t, {
    env: testEnv({ KISMET_ENABLED: 'true', KISMET_API_URL: simUrl, KISMET_API_KEY: TEST_API_KEY, POLL_INTERVAL_MS: '100', POLL_INTERVAL_EVENTBUS_MS: '100', DEVICE_TTL_S: '2' }),
  })

  const client = runClient(t, [url])
  await client.waitFor(/subscribed to devices, alerts/)
  await client.waitFor(/snapshot: \d+ devices? in view/)

  const ap = sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Packaging-Test-Net', commonname: 'Packaging-Test-Net', name: 'Packaging-Test-Net' })
  const added = await client.waitFor(new RegExp(`\\+ new .*${ap.mac}`))
  t.match(added, /"Packaging-Test-Net"/, 'a new AP is shown with its SSID')
  t.match(added, MAC)

  // Kismet stops hearing it: the service reports it gone DEVICE_TTL_S later.
  sim.removeDevice(ap.key)
  t.match(await client.waitFor(new RegExp(`- gone .*${ap.mac}`)), /"Packaging-Test-Net"/, 'a removal names the device')

  const latency = await client.waitFor(/latency \d+ ms round trip/)
  t.match(latency, /\d+ devices? in view/)

  sim.raiseAlert()
  t.match(await client.waitFor(/! alert +\[(low|medium|high)\]/), /\[(low|medium|high)\] \S+: /, 'an alert line with severity and header')

  client.interrupt()
  t.equal(await client.exited, 0, 'Ctrl-C ends the client with status 0')
})

t.test('with --batch the client asks for batched delivery and shows the same stream', async (t) => {
  const sim = new KismetSimulator({ apiKey: TEST_API_KEY, devices: 3, seed: 4 })
  const simUrl = await sim.listen()
  t.teardown(() => sim.close())
  const { url, app } = await startApp(t, {
    env: testEnv({ KISMET_ENABLED: 'true', KISMET_API_URL: simUrl, KISMET_API_KEY: TEST_API_KEY, POLL_INTERVAL_MS: '100' }),
  })

  const client = runClient(t, ['--batch', url])
  await client.waitFor(/subscribed to devices, alerts \(batched\)/)
  await client.waitFor(/snapshot: \d+ devices? in view/)
  t.equal(app.io.of('/').adapter.rooms.get(batchRoomOf(['devices', 'alerts']))?.size, 1, 'the client sits in the batch room')

  const ap = sim.addDevice({ type: 'Wi-Fi AP', ssid: 'Batched-Net', commonname: 'Batched-Net', name: 'Batched-Net' })
  t.match(await client.waitFor(new RegExp(`\\+ new .*${ap.mac}`)), /"Batched-Net"/, 'a new device arrives in an events packet and is shown')
  client.interrupt()
  t.equal(await client.exited, 0)
})

t.test('an API token is sent as auth.token; without it the client explains and exits 1', async (t) => {
  const token = 'packaging-test-token'
  const { url } = await startApp(t, { env: testEnv({ API_TOKEN: token }) })

  const refused = runClient(t, [url])
  t.match(await refused.waitFor(/requires a token/), /API_TOKEN=/)
  t.equal(await refused.exited, 1)

  const accepted = runClient(t, [], { API_TOKEN: token, KISMET_WS_URL: url })
  await accepted.waitFor(/subscribed to devices, alerts/)
  accepted.interrupt()
  t.equal(await accepted.exited, 0)
})

t.test('odd data from a server never crashes the client, and air-sourced strings cannot drive the terminal', async (t) => {
  const { io, port } = await bareServer(t)
  io.on('connection', (socket) => {
    socket.on('subscribe', (_topics: unknown, ack?: (value: unknown) => void) => {
      ack?.('not an ack')
      const odd: unknown[] = [
        null,
        42,
        'text',
        [],
        { type: 'device:update' },
        { type: 'device:update', data: null },
        { type: 'device:update', data: { action: 'new', device: null } },
        { type: 'device:update', data: { action: 'new', device: { mac: 7, ssid: ['x'], channel: 'six', signal: NaN, type: {} } } },
        { type: 'device:update', data: { action: 'remove', device: 'gone' } },
        { type: 'device:update', data: { action: 'update', device: {}, changes: 'all' } },
        { type: 'device:snapshot', data: { devices: 'many', chunk: 'first', chunks: -1 } },
        { type: 'alert:new', data: { alert: 'x' } },
        { type: 'alert:new', data: {} },
        { type: 'server:shutdown', data: 5 },
        { type: 'something:new', data: { anything: true } },
        { type: 'device:update', data: { action: 'new', device: { type: 'AP', mac: 'AA:BB:CC:DD:EE:01', ssid: '\u001b[2J\u001b[31mEvil\u202eNet\u0007', name: 'x' } } },
        { type: 'device:update', data: { action: 'new', device: { type: 'AP', mac: 'AA:BB:CC:DD:EE:02', ssid: 'Last-One' } } },
      ]
      for (const value of odd) socket.emit('event', value)
      socket.emit('error', null)
      socket.emit('connected', 'not an object')
    })
    socket.on('ping', (_ts: unknown, ack?: (value: unknown) => void) => ack?.('soon'))
  })

  const client = runClient(t, [`http://127.0.0.1:${port}`])
  const evil = await client.waitFor(/AA:BB:CC:DD:EE:01/)
  t.notMatch(evil, /[\u0000-\u001f\u007f\u202e]/, 'control and bidi-override characters are neutralised')
  t.match(evil, /Evil.Net/)
  await client.waitFor(/\+ new .*"Last-One" .*AA:BB:CC:DD:EE:02/)
  await client.waitFor(/latency \? ms/)
  t.ok(client.running(), 'still running after every odd value')
  t.notOk(client.lines.some((l) => /TypeError|at .*ws-client\.ts/.test(l)), 'no stack trace printed')
  client.interrupt()
  t.equal(await client.exited, 0)
})

t.test('the server going away and coming back: the client reconnects and subscribes again', async (t) => {
  const first = await bareServer(t)
  const subscribed: string[] = []
  const serve = (io: Server, name: string) =>
    io.on('connection', (socket) => {
      socket.on('subscribe', (topics: unknown, ack?: (value: unknown) => void) => {
        subscribed.push(name)
        ack?.({ ok: true, topics })
      })
    })
  serve(first.io, 'first')
  const client = runClient(t, [`http://127.0.0.1:${first.port}`])
  await client.waitFor(/subscribed to devices, alerts/)

  // A server shutdown ends with the server's own disconnect, after which socket.io-client
  // does not retry by itself: the example must.
  await first.close()
  // Usually the server's own disconnect; a client still on the polling transport may see
  // the transport close first. The example must come back either way.
  await client.waitFor(/disconnected \((io server disconnect|transport close)\)/)
  const second = await bareServer(t, first.port)
  serve(second.io, 'second')
  await client.waitFor(/subscribed to devices, alerts/, 30_000, 2)
  t.same(subscribed, ['first', 'second'])
  client.interrupt()
  t.equal(await client.exited, 0)
})
