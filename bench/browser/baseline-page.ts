/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard benchmark's baseline page: the same Socket.IO subscription as the dashboard
// (same topics, batched), and nothing else: it counts envelopes and draws nothing. What the
// dashboard spends beyond this is the cost of its table, detail pane and strip.
import { io } from 'socket.io-client'

interface BaselineState {
  envelopes: number
  packets: number
  /** Devices the snapshot brought (the page is ready when it has them all). */
  snapshotDevices: number
  subscribed: boolean
}

const state: BaselineState = { envelopes: 0, packets: 0, snapshotDevices: 0, subscribed: false }
;(window as unknown as { __baseline: BaselineState }).__baseline = state

const socket = io({ reconnectionDelay: 500 })
socket.on('connect', () => {
  socket.emit('subscribe', ['devices', 'alerts', 'system', 'scan'], { batch: true }, () => {
    state.subscribed = true
  })
})
socket.on('event', (envelope: { type: string; data: { devices?: unknown[] } }) => {
  state.envelopes += 1
  if (envelope.type === 'device:snapshot') state.snapshotDevices += envelope.data.devices?.length ?? 0
})
socket.on('events', (envelopes: unknown[]) => {
  state.envelopes += envelopes.length
  state.packets += 1
})
