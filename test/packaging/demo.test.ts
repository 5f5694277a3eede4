// `npm run demo` as a newcomer runs it: the printed URLs work, a Socket.IO client sees
// devices change, and Ctrl-C stops the demo and its service with status 0.
import t from 'tap'
import { spawn } from 'node:child_process'
import { io as connect, type Socket } from 'socket.io-client'
import type { AnyEnvelope, ClientToServerEvents, ServerToClientEvents, SubscriptionAck } from '../../src/events.js'

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>

for (const stopSignal of ['SIGINT', 'SIGTERM'] as const) {
  t.test(`the demo streams simulated devices and stops cleanly on ${stopSignal}`, async (t) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_DEVICES: '20', DEMO_STATUS_MS: '1000' }
    delete env['API_TOKEN']
    delete env['LOG_LEVEL']
    const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      demo.once('exit', (code, signal) => resolve({ code, signal })),
    )
    let output = ''
    demo.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    demo.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    t.teardown(async () => {
      if (demo.exitCode !== null || demo.signalCode !== null) return
      // SIGINT first so the demo stops the service it started in its own process group.
      demo.kill('SIGINT')
      const timer = setTimeout(() => demo.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    })

    const waitForOutput = (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output)
          if (match) finish(() => resolve(match))
          else if (demo.exitCode !== null) finish(() => reject(new Error(`the demo exited before printing ${pattern}:\n${output}`)))
        }
        const timer = setTimeout(() => finish(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; the demo printed:\n${output}`))), timeoutMs)
        const finish = (settle: () => void) => {
          clearTimeout(timer)
          demo.stdout.off('data', check)
          demo.off('exit', check)
          settle()
        }
        demo.stdout.on('data', check)
        demo.once('exit', check)
        check()
      })

    const [, url] = await waitForOutput(/Socket\.IO\s+(http:\/\/127\.0\.0\.1:\d+)/, 30_000)
    // The banner arrives in several writes: wait for its last line before reading it.
    await waitForOutput(/npm run example:ws-client -- http:/, 10_000)
    t.match(output, new RegExp(`${url}/docs`), 'prints the API docs URL')
    t.match(output, new RegExp(`${url}/api/kismet/ws/status`), 'prints the status URL')
    t.match(output, new RegExp(`${url}/health`), 'prints the health URL')
    t.match(output, /npm run example:ws-client -- http:/, 'says how to run the example client')

    const health = await fetch(`${url}/health`)
    t.equal(health.status, 200, '/health answers')

    const socket: ClientSocket = connect(url!, { transports: ['websocket'], reconnection: false, forceNew: true })
    t.teardown(() => socket.disconnect())
    const update = new Promise<AnyEnvelope>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no device:update within 10 s; the demo printed:\n${output}`)), 10_000)
      socket.on('event', (envelope) => {
        if (envelope.type !== 'device:update') return
        clearTimeout(timer)
        resolve(envelope)
      })
    })
    const ack = await new Promise<SubscriptionAck>((resolve) => socket.emit('subscribe', ['devices'], resolve))
    t.same(ack, { ok: true, topics: ['devices'], subscriptions: { devices: { sensors: null, batch: false } } })
    const envelope = await update
    t.equal(envelope.type, 'device:update')
    if (envelope.type === 'device:update') t.match(envelope.data.device.mac, /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/)
    t.ok(await waitForOutput(/Connected to Kismet/, 10_000), 'the service reports its connection to the simulated Kismet')
    // Every DEMO_STATUS_MS the demo tells its terminal what is happening.
    const [status, devices, events] = await waitForOutput(/INFO {2}demo {7}(\d+) devices? · (\d+) events? in the last 1 s \([\d,]+ in all\) · 1 client connected · Kismet connected/, 10_000)
    t.ok(Number(devices) > 0, `devices tracked: ${status}`)
    t.ok(Number(events) >= 0)

    const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()))
    demo.kill(stopSignal)
    const stopLimit = setTimeout(() => demo.kill('SIGKILL'), 15_000)
    const { code, signal } = await exited
    clearTimeout(stopLimit)
    t.equal(signal, null, 'not killed')
    t.equal(code, 0, `exit status 0 after ${stopSignal}`)
    await closed
    await t.rejects(fetch(`${url}/health`), 'the service is stopped too')
  })
}

t.test('a demo killed outright (SIGKILL) leaves no service running', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_DEVICES: '5' }
  delete env['API_TOKEN']
  delete env['LOG_LEVEL']
  const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => {
    if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL')
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000)
    demo.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      const match = /Socket\.IO\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  t.equal((await fetch(`${url}/health`)).status, 200, 'the service runs')
  const exited = new Promise((resolve) => demo.once('exit', resolve))
  demo.kill('SIGKILL')
  await exited
  // Its service notices that its parent is gone and stops itself.
  const deadline = Date.now() + 10_000
  let running = true
  while (running && Date.now() < deadline) {
    running = await fetch(`${url}/health`).then(
      () => true,
      () => false,
    )
    if (running) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.notOk(running, 'the service stopped within 10 s of the demo dying')
})

t.test('npm run demo -- --sensors 3: three simulated sensors in one stream', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DEMO_DEVICES: '6', DEMO_TICK_MS: '200' }
  delete env['API_TOKEN']
  delete env['LOG_LEVEL']
  const demo = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--sensors', '3'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<{ code: number | null }>((resolve) => demo.once('exit', (code) => resolve({ code })))
  t.teardown(() => {
    if (demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL')
  })
  let output = ''
  demo.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 30 s:\n${output}`)), 30_000)
    demo.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      const match = /Socket\.IO\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match && /Sensor east/.test(output)) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
  })
  t.match(output, /3 simulated Kismet sensors/, 'the banner says three sensors')
  const socket: ClientSocket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true })
  t.teardown(() => socket.disconnect())
  const seen = new Set<string>()
  const three = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`snapshots from ${[...seen].join(', ')} only`)), 15_000)
    socket.on('event', (envelope) => {
      if (envelope.type === 'device:snapshot' && envelope.sensor) seen.add(envelope.sensor)
      if (seen.size === 3) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  socket.emit('subscribe', ['devices'])
  await three
  t.same([...seen].sort(), ['east', 'north', 'south'], 'one snapshot per sensor, each tagged with its name')
  demo.kill('SIGINT')
  t.equal((await exited).code, 0, 'stops with status 0')
})
