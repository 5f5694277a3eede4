// The dashboard: one more Socket.IO client of the service (the reference client: it uses the
// public Socket.IO and REST interfaces and nothing else). Envelopes arrive batched
// (`subscribe(topics, { batch: true })`), wait in a queue, and are applied once per animation
// frame, after which each view draws what changed.
import { io, type Socket } from 'socket.io-client'
import type { AnyEnvelope, ClientToServerEvents, ServerToClientEvents, Topic } from '../../src/events.js'
import { AlertFeed } from './alerts.js'
import { Api, storedToken, storeToken } from './api.js'
import { DetailPane } from './detail.js'
import { byId, el } from './dom.js'
import { count } from './format.js'
import { FrameLoop, serverClock } from './frame.js'
import { StatusStrip } from './status.js'
import { DeviceStore } from './store.js'
import { countLabels, DeviceTable, type Counts } from './table.js'

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>

const TOPICS: Topic[] = ['devices', 'alerts', 'system', 'scan']
const STATUS_POLL_MS = 15_000
const RETRY_MS = 3_000

const api = new Api(storedToken())
const store = new DeviceStore()
const strip = new StatusStrip()
const alerts = new AlertFeed()
const detail = new DetailPane(api)
const frame = new FrameLoop(onFrame)
const table = new DeviceTable({ store, onSelect: select, requestFrame: () => frame.request() })
let queue: AnyEnvelope[] = []
let socket: LiveSocket | undefined
let drawnCounts: Counts | undefined
let drawnSignature = ''
let statusTimer: ReturnType<typeof setTimeout> | undefined

byId('strip').append(strip.root)
byId('devices').append(table.root)
byId('side').append(detail.root, alerts.root)
byId<HTMLInputElement>('search').addEventListener('input', (event) => table.setQuery((event.target as HTMLInputElement).value))
setInterval(() => frame.request(), 1000) // relative times ("12 s") move on

function onFrame(): void {
  const now = serverClock.now()
  const batch = queue
  queue = []
  for (const envelope of batch) {
    serverClock.observe(envelope.timestamp)
    if (store.apply(envelope) || alerts.apply(envelope) || strip.apply(envelope)) continue
    if (envelope.type === 'server:shutdown') strip.setLink('stopping')
  }
  const changes = store.takeChanges()
  table.update(changes, now)
  detail.update(store.rows, changes.ids, now)
  alerts.render()
  strip.setDeviceCounts(store.bySensor)
  strip.render(now)
  if (table.counts !== drawnCounts) drawCounts(table.counts)
}

function select(id: string): void {
  table.select(id)
  detail.show(store.rows.get(id), serverClock.now())
}

function drawCounts(counts: Counts): void {
  drawnCounts = counts
  const { types, bands } = countLabels(counts)
  const signature = JSON.stringify([counts.shown, counts.total, types, bands])
  if (signature === drawnSignature) return // the table reordered; the counts are the same
  drawnSignature = signature
  const chip = (label: string, n: number, kind: string) => el('span', { class: `chip ${kind}`, data: { label } }, el('span', { text: label }), el('b', { text: count(n) }))
  byId('counts').replaceChildren(
    el('span', { class: 'shown', text: counts.shown === counts.total ? `${count(counts.total)} devices` : `${count(counts.shown)} of ${count(counts.total)} devices` }),
    ...types.map(([label, n]) => chip(label, n, 'type')),
    ...bands.map(([label, n]) => chip(label, n, 'band')),
  )
}

// ---- the service: token, REST status, Socket.IO ---------------------------------------

let starting = false

/** Checks the service (and the token) over REST, then opens the live connection. */
async function start(): Promise<void> {
  if (starting) return
  starting = true
  try {
    const status = await api.status()
    if (!status.ok) {
      if (status.status === 401) askForToken()
      else {
        strip.setLink('unreachable', status.message)
        setTimeout(() => void start(), RETRY_MS)
      }
      return
    }
    strip.polled(status.body)
    frame.request()
    connect()
    pollStatus()
  } finally {
    starting = false
  }
}

function pollStatus(): void {
  if (statusTimer !== undefined) clearTimeout(statusTimer)
  statusTimer = setTimeout(async () => {
    statusTimer = undefined
    const status = await api.status()
    if (status.ok) {
      strip.polled(status.body)
      frame.request()
    } else if (status.status === 401) {
      askForToken()
      return
    }
    pollStatus()
  }, STATUS_POLL_MS)
}

function connect(): void {
  if (socket) {
    if (!socket.connected && !socket.active) socket.connect()
    return
  }
  // Same origin; the token (read at every attempt) as auth.token.
  const live: LiveSocket = io({
    auth: (send) => send(api.token === undefined ? {} : { token: api.token }),
    reconnectionDelay: 500,
    reconnectionDelayMax: RETRY_MS,
  })
  socket = live
  live.on('connect', () => {
    strip.setLink('live')
    // A recovered connection has its subscriptions back and gets what it missed; a new one
    // subscribes, and the snapshots that follow bring the table up to date.
    if (live.recovered) return
    serverClock.newest = Number.NEGATIVE_INFINITY
    live.emit('subscribe', TOPICS, { batch: true }, (ack) => {
      if (!ack.ok) strip.setLink('live', `subscription refused (${ack.error.message})`)
    })
  })
  live.on('connected', (hello) => {
    strip.greeted(hello)
    store.keepSensors(hello.sensors.map((s) => s.name))
    table.setSensorCount(hello.sensors.length)
    frame.request()
  })
  live.on('event', (envelope) => {
    queue.push(envelope)
    frame.request()
  })
  live.on('events', (envelopes) => {
    for (const envelope of envelopes) queue.push(envelope)
    frame.request()
  })
  live.on('connect_error', (error) => {
    if (error.message === 'unauthorized') {
      askForToken()
      return
    }
    strip.setLink('reconnecting', error.message)
    // Refusals by the service (not the network) are not retried by Socket.IO itself.
    if (!live.active) setTimeout(() => live.connect(), RETRY_MS)
  })
  live.on('disconnect', (reason) => {
    if (reason === 'io client disconnect') return // this page let go (to ask for the token)
    if (strip.linkState !== 'stopping') strip.setLink('reconnecting')
    // The service let this client go (it is shutting down): come back when it does.
    if (!live.active) setTimeout(() => live.connect(), 1000)
  })
}

// ---- the token prompt -------------------------------------------------------------------

const overlay = byId('token')
const tokenForm = byId<HTMLFormElement>('token-form')
const tokenInput = byId<HTMLInputElement>('token-input')
const forget = byId<HTMLButtonElement>('forget-token')

function askForToken(): void {
  socket?.disconnect()
  strip.setLink('token')
  byId('token-message').textContent =
    api.token === undefined ? 'This service needs its API token (API_TOKEN). It is kept for this tab only.' : 'That token was refused. Try again.'
  overlay.hidden = false
  tokenInput.value = ''
  tokenInput.focus()
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const token = tokenInput.value.trim()
  if (token === '') return
  api.token = token
  storeToken(token)
  overlay.hidden = true
  forget.hidden = false
  strip.setLink('connecting')
  void start()
})

forget.hidden = api.token === undefined
forget.addEventListener('click', () => {
  storeToken(undefined)
  location.reload()
})

void start()
