// The TAK module assembled: a subscriber of the event channel that turns the sensors'
// geolocated devices (and the sensors themselves) into Cursor-on-Target events (markers.ts,
// cot.ts), publishes each as `tak:cot` on the channel (so Socket.IO clients of the `tak` topic
// get it whether or not a network output is enabled), hands it to every enabled output
// (UDP multicast or unicast, a TCP or TLS stream), and publishes each output's `tak:status`:
// at once when its state changes, and at most every STATUS_INTERVAL_MS while only its
// counters move. Fastify-free: plugins/app/tak.ts wires it to the app.
import net from 'node:net'
import tls from 'node:tls'
import type { Clock, TimerHandle } from '../clock.js'
import type { EnvelopeFactory, EventChannel } from '../envelope.js'
import { TAK_COT_KINDS, type TakOutputName, type TakStatusData, type WifiDevice } from '../events.js'
import { MarkerBook, type CotMessage } from './markers.js'
import type { StatusListener, TakOutput } from './outputs/output.js'
import { StreamOutput } from './outputs/stream.js'
import { UdpOutput } from './outputs/udp.js'
import type { TakSettings, TlsSettings } from './settings.js'
import { pingUid } from './uid.js'

export const STATUS_INTERVAL_MS = 5000
/** Room in a stream's queue beyond the device markers: the sensors' markers and deletes. */
const QUEUE_SLACK = 64

export interface TakLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface TakOptions {
  settings: TakSettings
  clock: Clock
  channel: EventChannel
  factory: EnvelopeFactory
  /** The sensors' device tables. */
  devices: { deviceOf(sensor: string, key: string): WifiDevice | undefined }
  sensorCount: number
  log: TakLog
  /** For the reconnection jitter (default Math.random). */
  random?: () => number
}

export interface TakStatus {
  enabled: boolean
  markers: { devices: number; sensors: number; candidates: number }
  outputs: TakStatusData[]
}

export interface TakCounters {
  events: Record<(typeof TAK_COT_KINDS)[number], number>
  outputs: Array<Pick<TakStatusData, 'output' | 'state' | 'sent' | 'dropped' | 'queued' | 'bytesSent' | 'bytesReceived' | 'connects'>>
}

export interface Tak {
  start(): void
  status(): TakStatus
  counters(): TakCounters
  close(): Promise<void>
}

function tlsOpener(settings: TlsSettings): () => { socket: net.Socket; ready: 'secureConnect' } {
  // SNI takes a name, never an IP (RFC 6066): an IP host is checked against the certificate's IP addresses.
  const serverName = settings.serverName ?? (net.isIP(settings.host) === 0 ? settings.host : undefined)
  return () => ({
    socket: tls.connect({
      host: settings.host,
      port: settings.port,
      ...(settings.cert !== undefined && { cert: settings.cert }),
      ...(settings.key !== undefined && { key: settings.key }),
      ...(settings.passphrase !== undefined && { passphrase: settings.passphrase }),
      ...(settings.ca !== undefined && { ca: settings.ca }),
      // The chain and the name (servername, else the host) are checked unless TAK_TLS_VERIFY=false.
      rejectUnauthorized: settings.verify,
      ...(serverName !== undefined && { servername: serverName }),
    }),
    ready: 'secureConnect',
  })
}

const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`

export function createTak(options: TakOptions): Tak {
  const { settings, clock, channel, factory, log } = options
  const events = Object.fromEntries(TAK_COT_KINDS.map((kind) => [kind, 0])) as TakCounters['events']
  const outputs: TakOutput[] = []
  const byName = new Map<TakOutputName, TakOutput>()
  const lastPublished = new Map<TakOutputName, number>()
  const dirty = new Set<TakOutputName>()
  let statusTimer: TimerHandle | undefined
  let closed = false

  const publishStatus = (name: TakOutputName): void => {
    const output = byName.get(name)
    if (!output || closed) return
    dirty.delete(name)
    lastPublished.set(name, clock.now())
    channel.publish(factory.create('tak:status', output.status()))
  }
  const publishDirty = (): void => {
    statusTimer = undefined
    for (const name of [...dirty]) publishStatus(name)
  }
  const onStatus: StatusListener = (name, stateChanged) => {
    if (closed) return
    if (stateChanged) {
      const status = byName.get(name)?.status()
      if (status?.state === 'connected') log.info({ output: name, target: status.target }, `TAK ${name} output: sending to ${status.target}`)
      else if (status?.state === 'backoff') log.warn({ output: name, target: status.target, error: status.lastError }, `TAK ${name} output: ${status.target} failed (${status.lastError ?? 'unknown error'}); trying again with a growing delay`)
      publishStatus(name)
      return
    }
    dirty.add(name)
    if (statusTimer) return
    const wait = Math.max(0, (lastPublished.get(name) ?? 0) + STATUS_INTERVAL_MS - clock.now())
    statusTimer = clock.setTimeout(publishDirty, wait)
  }

  const book = new MarkerBook({
    settings: settings.markers,
    clock,
    lookup: (sensor, key) => options.devices.deviceOf(sensor, key),
    emit: (message: CotMessage) => {
      events[message.kind] += 1
      channel.publish(factory.create('tak:cot', { uid: message.uid, deviceKey: message.deviceKey, kind: message.kind, xml: message.xml }, message.sensor))
      for (const output of outputs) output.send(message)
    },
  })

  const common = { clock, onStatus, ...(options.random && { random: options.random }) }
  // With TAK off there is nothing to send: no output exists, none is shown.
  const { multicast, unicast, tcp, tls: tlsTarget } = settings.enabled ? settings.outputs : {}
  if (multicast) outputs.push(new UdpOutput({ ...common, target: multicast }))
  if (unicast) outputs.push(new UdpOutput({ ...common, target: unicast }))
  const streamCommon = {
    ...common,
    snapshot: () => book.live(),
    queueCapacity: settings.markers.maxDevices + options.sensorCount + QUEUE_SLACK,
    pingUid: pingUid(settings.markers.uidPrefix),
  }
  if (tcp) {
    outputs.push(
      new StreamOutput({ ...streamCommon, name: 'tcp', target: hostPort(tcp.host, tcp.port), open: () => ({ socket: net.connect({ host: tcp.host, port: tcp.port }), ready: 'connect' }) }),
    )
  }
  if (tlsTarget) outputs.push(new StreamOutput({ ...streamCommon, name: 'tls', target: hostPort(tlsTarget.host, tlsTarget.port), open: tlsOpener(tlsTarget) }))
  for (const output of outputs) byName.set(output.name, output)

  const unsubscribe = settings.enabled
    ? channel.subscribe((envelope) => {
        if (envelope.type !== 'tak:cot' && envelope.type !== 'tak:status') book.handle(envelope)
      })
    : () => {}

  return {
    start() {
      if (!settings.enabled) return
      for (const output of outputs) {
        output.start()
        publishStatus(output.name)
      }
    },
    status() {
      return { enabled: settings.enabled, markers: book.counts(), outputs: outputs.map((output) => output.status()) }
    },
    counters() {
      return {
        events: { ...events },
        outputs: outputs.map((output) => {
          const { output: name, state, sent, dropped, queued, bytesSent, bytesReceived, connects } = output.status()
          return { output: name, state, sent, dropped, queued, bytesSent, bytesReceived, connects }
        }),
      }
    },
    async close() {
      closed = true
      unsubscribe()
      book.close()
      if (statusTimer) clock.clearTimeout(statusTimer)
      statusTimer = undefined
      await Promise.all(outputs.map((output) => output.close()))
    },
  }
}
