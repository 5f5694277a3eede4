// A small kismet-ws client: connects, subscribes to devices and alerts, prints what it
// hears and the measured round-trip latency, and keeps going when the server goes away
// and comes back.
//
//   npm run example:ws-client                          # http://localhost:8001
//   npm run example:ws-client -- http://sensor:8001    # or KISMET_WS_URL=...
//   npm run example:ws-client -- --batch               # batched delivery (busy streams)
//   API_TOKEN=... npm run example:ws-client            # when the service requires a token
//
// EXAMPLE_PING_INTERVAL_MS changes how often the latency is measured (default 10000).
//
// Copy this file as a starting point: the typed socket below knows every event and
// payload of the service (src/events.ts), so an editor completes them for you.
import { io, type Socket } from 'socket.io-client'
import type { AnyEnvelope, ClientToServerEvents, ServerToClientEvents, SubscriptionAck, Topic } from '../src/events.js'

type KismetWsSocket = Socket<ServerToClientEvents, ClientToServerEvents>

const TOPICS: Topic[] = ['devices', 'alerts']
const DEFAULT_URL = 'http://localhost:8001'
const RETRY_AFTER_SERVER_CLOSE_MS = 2000

// ---------------------------------------------------------------------------------------
// Output. Names and SSIDs come from the air: anyone nearby chooses them. They are shown
// with control and bidirectional-override characters replaced, so a hostile SSID cannot
// move the cursor or recolour the terminal, and cut to a readable length.

const UNSAFE_CHARACTERS = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu

function text(value: unknown, fallback = '?', max = 32): string {
  if (typeof value !== 'string' && typeof value !== 'number') return fallback
  const clean = String(value).replace(UNSAFE_CHARACTERS, '\uFFFD')
  if (clean.length === 0) return fallback
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function clockTime(): string {
  return new Date().toTimeString().slice(0, 8)
}

function say(line: string): void {
  process.stdout.write(`${clockTime()}  ${line}\n`)
}

/**
 * What to call a device: an AP by its SSID (`"HomeNet"`, or `<hidden SSID>`); another
 * device by its name when Kismet has one other than the MAC, else by the SSID it last
 * probed for (`probes "HomeNet"`).
 */
function label(device: Record<string, unknown>): string {
  const ssid = device['ssid']
  if (device['type'] === 'AP') {
    if (typeof ssid === 'string' && ssid.length > 0) return `"${text(ssid)}"`
    return ssid === '' ? '<hidden SSID>' : text(device['name'], '(no name)')
  }
  const name = device['name']
  if (typeof name === 'string' && name.length > 0 && name.toUpperCase() !== String(device['mac']).toUpperCase()) return text(name)
  if (typeof ssid === 'string' && ssid.length > 0) return `probes "${text(ssid, '?', 22)}"`
  return '-'
}

function describeDevice(device: Record<string, unknown>): string {
  const parts = [text(device['type'], 'Unknown', 8).padEnd(7), label(device).padEnd(24), text(device['mac'], '??:??:??:??:??:??', 17)]
  const channel = finite(device['channel'])
  if (channel !== undefined) parts.push(`ch ${channel}`)
  const signal = finite(device['signal'])
  if (signal !== undefined) parts.push(`${signal} dBm`)
  if (typeof device['manufacturer'] === 'string' && device['manufacturer'] !== 'Unknown') parts.push(text(device['manufacturer'], '', 24))
  return parts.join('  ')
}

// ---------------------------------------------------------------------------------------
// State: what this client knows, for removals and the periodic summary.

const known = new Map<string, string>()
let signalUpdates = 0

function keyOf(device: Record<string, unknown>): string | undefined {
  return typeof device['key'] === 'string' ? device['key'] : undefined
}

function onEnvelope(envelope: AnyEnvelope): void {
  const data = record(envelope.data)
  switch (envelope.type) {
    case 'device:snapshot': {
      const chunk = finite(data['chunk']) ?? 0
      const chunks = finite(data['chunks']) ?? 1
      if (chunk === 0) known.clear()
      const devices = Array.isArray(data['devices']) ? data['devices'] : []
      for (const value of devices) {
        const device = record(value)
        const key = keyOf(device)
        if (key) known.set(key, describeDevice(device))
      }
      if (chunk >= chunks - 1) say(`snapshot: ${known.size} device${known.size === 1 ? '' : 's'} in view (new ones are listed as they appear)`)
      return
    }
    case 'device:update': {
      const device = record(data['device'])
      const key = keyOf(device)
      const action = data['action']
      if (action === 'new') {
        if (key) known.set(key, describeDevice(device))
        say(`+ new     ${describeDevice(device)}`)
      } else if (action === 'remove') {
        const description = (key && known.get(key)) || describeDevice(device)
        if (key) known.delete(key)
        say(`- gone    ${description}`)
      } else if (action === 'update') {
        if (key) known.set(key, describeDevice(device))
        const changed = Object.keys(record(data['changes'])).map((field) => text(field, '?', 16))
        say(`~ changed ${label(device)} ${text(device['mac'], '?', 17)}: ${changed.join(', ') || 'details'}`)
      }
      return
    }
    case 'signal:update':
      signalUpdates += 1
      return
    case 'alert:new': {
      const alert = record(data['alert'])
      const about = typeof alert['mac'] === 'string' ? ` (${text(alert['mac'], '?', 17)})` : ''
      say(`! alert   [${text(alert['severity'], '?', 8)}] ${text(alert['header'], 'ALERT', 40)}: ${text(alert['message'], '', 160)}${about}`)
      return
    }
    case 'server:shutdown':
      say(`server: ${text(data['message'], 'shutting down', 80)} (this client waits and reconnects)`)
      return
    default:
      // system:status, scan:status: not subscribed here; anything newer is ignored.
      return
  }
}

// ---------------------------------------------------------------------------------------
// Connection.

function usage(): void {
  process.stdout.write(
    'usage: npm run example:ws-client -- [--batch] [URL]\n' +
      `  URL defaults to $KISMET_WS_URL or ${DEFAULT_URL}\n` +
      '  --batch                      ask for batched delivery: `events` packets (for busy streams)\n' +
      '  API_TOKEN=<token>            the service token, when the service sets API_TOKEN\n' +
      '  EXAMPLE_PING_INTERVAL_MS=ms  latency measurement period (default 10000)\n',
  )
}

function positiveInteger(value: string | undefined, fallback: number): number {
  const parsed = Number(value)
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback
}

/**
 * A 5 s deadline for an acknowledgement. (socket.timeout() would do this, but its types do
 * not apply to this service's optional ack arguments.) The returned function tells the ack
 * whether it came in time; `late` runs when it did not.
 */
function ackTimeout(late: () => void, ms = 5000): () => boolean {
  let pending = true
  const timer = setTimeout(() => {
    pending = false
    late()
  }, ms)
  timer.unref()
  return () => {
    clearTimeout(timer)
    const inTime = pending
    pending = false
    return inTime
  }
}

function main(): void {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    usage()
    return
  }
  const batch = args.includes('--batch')
  const url = args.find((a) => !a.startsWith('--')) ?? process.env['KISMET_WS_URL'] ?? DEFAULT_URL
  const token = process.env['API_TOKEN']
  const pingEveryMs = positiveInteger(process.env['EXAMPLE_PING_INTERVAL_MS'], 10_000)

  const socket: KismetWsSocket = io(url, {
    ...(token && { auth: { token } }),
    // Reconnect forever, waiting at most 5 s between attempts.
    reconnection: true,
    reconnectionDelayMax: 5000,
  })
  say(`connecting to ${url}${token ? ' with API_TOKEN' : ''} (Ctrl-C to stop)`)

  let outageReported = false
  let retryTimer: NodeJS.Timeout | undefined

  const reconnectLater = (delayMs: number) => {
    clearTimeout(retryTimer)
    retryTimer = setTimeout(() => socket.connect(), delayMs)
  }

  socket.on('connect', () => {
    outageReported = false
    if (socket.recovered) {
      say('reconnected: session recovered, subscriptions kept and missed events replayed')
      return
    }
    const answered = ackTimeout(() => say('subscribe got no answer within 5 s; it is retried on the next connection'))
    const onAck = (ack: SubscriptionAck) => {
      if (!answered()) return
      const result = record(ack)
      if (result['ok'] === true) {
        const topics = Array.isArray(result['topics']) ? result['topics'].map((t) => text(t)).join(', ') : '?'
        say(`subscribed to ${topics}${batch ? ' (batched)' : ''}`)
      } else {
        const error = record(result['error'])
        say(`subscribe refused: ${text(error['message'], 'no reason given', 120)} (${text(error['code'])})`)
      }
    }
    if (batch) socket.emit('subscribe', TOPICS, { batch: true }, onAck)
    else socket.emit('subscribe', TOPICS, onAck)
  })

  socket.on('connected', (info) => {
    const data = record(info)
    const kismet = text(record(data['kismet'])['state'], 'unknown')
    say(`connected as ${text(data['id'], '?', 24)}; Kismet link: ${kismet}`)
  })

  const show = (envelope: unknown) => {
    try {
      if (typeof envelope !== 'object' || envelope === null) return
      onEnvelope(envelope as AnyEnvelope)
    } catch (error) {
      say(`(could not show an event: ${error instanceof Error ? error.message : String(error)})`)
    }
  }
  socket.on('event', show)
  // Batched delivery: the same envelopes, several to a packet, in order.
  socket.on('events', (envelopes) => {
    if (Array.isArray(envelopes)) for (const envelope of envelopes) show(envelope)
  })

  socket.on('error', (error) => {
    const data = record(error)
    say(`server error ${text(data['code'])}: ${text(data['message'], 'no message', 160)}`)
  })

  socket.on('disconnect', (reason) => {
    say(`disconnected (${reason})`)
    // After the server's own disconnect (a shutdown, a restart) socket.io does not retry by
    // itself: the next server may come up at the same address, so try again.
    if (reason === 'io server disconnect') reconnectLater(RETRY_AFTER_SERVER_CLOSE_MS)
  })

  socket.on('connect_error', (error) => {
    if (socket.active) {
      // Transport-level failure: socket.io keeps retrying with a growing delay.
      if (!outageReported) say(`cannot reach ${url} (${error.message}); retrying until it answers…`)
      outageReported = true
      return
    }
    // Refused by the server's connection check: retrying as is would not help.
    if (error.message === 'unauthorized') {
      say(
        token
          ? 'the server refused API_TOKEN (unauthorized): check it matches the service API_TOKEN'
          : 'the server requires a token (unauthorized): run again with API_TOKEN=<the service API_TOKEN>',
      )
      process.exitCode = 1
      stop()
      return
    }
    say(`connection refused by the server: ${text(error.message, 'no reason', 120)}; trying again in 5 s`)
    reconnectLater(5000)
  })

  const pingTimer = setInterval(() => {
    if (!socket.connected) return
    const answered = ackTimeout(() => say('latency: no answer to ping within 5 s'))
    socket.emit('ping', Date.now(), (sent: number) => {
      if (!answered()) return
      const rtt = finite(sent) !== undefined ? Date.now() - sent : undefined
      const signals = signalUpdates
      signalUpdates = 0
      say(
        `latency ${rtt === undefined ? '?' : rtt} ms round trip · ${known.size} device${known.size === 1 ? '' : 's'} in view · ` +
          `${signals} signal update${signals === 1 ? '' : 's'} since the last measure`,
      )
    })
  }, pingEveryMs)

  let stopping = false
  function stop(): void {
    if (stopping) return
    stopping = true
    clearInterval(pingTimer)
    clearTimeout(retryTimer)
    socket.disconnect()
    // Nothing else holds the loop; this is a guard in case a transport lingers.
    setTimeout(() => process.exit(), 1000).unref()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main()
