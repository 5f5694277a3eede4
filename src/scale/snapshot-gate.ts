// On a gateway, what makes a subscriber's snapshot exact with respect to the live stream.
//
// The producer writes a sensor's table to Redis, with the sequence S of the last envelope
// folded into it, before that envelope enters the stream (state-writer.ts). A socket joins its
// rooms at once; from that moment every packet the adapter brings for it is held here
// (excluded from the adapter's own delivery). The snapshot is read (table and S in one MULTI)
// and sent to that socket only; then the held packets follow, less the envelopes the
// snapshot already includes (the snapshot's topic, that sensor, sequence <= S). Since this
// gateway may read the stream behind Redis, envelopes <= S can still arrive after the
// snapshot: until the gateway has seen the stream reach S (or CUT_LIFETIME_MS passed), packets
// for the socket keep going through the same filter. So: no gap, no duplicate.
import { EVENT_TYPES, type AnyEnvelope, type EventType } from '../events.js'
import { interceptClusterBroadcasts, type ClusterBroadcast } from '../realtime/engine.js'
import { streamsOfBatchRoom } from '../realtime/rooms.js'
import type { RealtimeServer, RealtimeSocket } from '../realtime/types.js'
import { sequenceOf } from './keys.js'

/** The most packets held for one socket while its snapshot is read; past that it is disconnected (it resubscribes). */
export const MAX_HELD_PACKETS = 10_000
/** How long a cut keeps filtering after its snapshot was sent, at most. */
export const CUT_LIFETIME_MS = 10_000

interface Gated {
  socket: RealtimeSocket
  /** Welcomes still reading their snapshot. */
  holding: number
  held: unknown[][]
  overflow: boolean
  /** `<topic>@<sensor>` -> the sequence the snapshot of that topic and sensor includes. */
  cuts: Map<string, number>
  until: number
  /** Forgets the socket when it disconnects (removed with the entry). */
  onDisconnect: () => void
}

export class SnapshotGate {
  readonly #io: RealtimeServer
  /** `<run id>-` of the envelopes this server makes: never in the stream, so never covered by a cut. */
  readonly #ownPrefix: string
  readonly #gated = new Map<string, Gated>()
  /** The sequence of the last whole-table snapshot (device:snapshot chunk 0) the stream brought, per sensor. */
  readonly #snapshotsSeen = new Map<string, number>()
  /** The highest sequence seen in the stream, per sensor. */
  readonly #seen = new Map<string, number>()
  readonly #unhook: () => void
  /** Sockets disconnected because too much was held for them. */
  overflows = 0
  /** Every envelope the stream brings one by one, with the rooms it goes to (a gateway batches from it). */
  onStreamEvent: ((rooms: readonly string[], envelope: AnyEnvelope) => void) | undefined

  constructor(io: RealtimeServer, ownRunId: string) {
    this.#io = io
    this.#ownPrefix = `${ownRunId}-`
    this.#unhook = interceptClusterBroadcasts(io, (broadcast) => this.#intercept(broadcast), () => this.#retireCuts())
  }

  /** Starts holding what the stream brings for this socket; `release` ends it. */
  hold(socket: RealtimeSocket): void {
    let gated = this.#gated.get(socket.id)
    if (!gated) {
      const onDisconnect = () => this.#gated.delete(socket.id)
      gated = { socket, holding: 0, held: [], overflow: false, cuts: new Map(), until: 0, onDisconnect }
      this.#gated.set(socket.id, gated)
      socket.once('disconnect', onDisconnect)
    }
    gated.holding += 1
  }

  /** The socket's subscription to `topic` changed (a filter now): what its earlier snapshots of it included no longer says what it holds. */
  forgetCuts(socket: RealtimeSocket, topic: string): void {
    const gated = this.#gated.get(socket.id)
    if (!gated) return
    for (const cut of [...gated.cuts.keys()]) if (cut.startsWith(`${topic}@`)) gated.cuts.delete(cut)
    if (gated.holding === 0 && gated.cuts.size === 0) this.#forget(gated)
  }

  /** Whether the stream brought a whole-table snapshot of this sensor at least as recent as `seq`. */
  sawSnapshot(sensor: string, seq: number): boolean {
    return (this.#snapshotsSeen.get(sensor) ?? 0) >= seq
  }

  #forget(gated: Gated): void {
    this.#gated.delete(gated.socket.id)
    gated.socket.off('disconnect', gated.onDisconnect)
  }

  /** The snapshot (of `topic` and these sensors, up to their sequences) was sent: what was held follows, less what it includes. */
  release(socket: RealtimeSocket, cuts: ReadonlyArray<{ topic: string; sensor: string; seq: number }>): void {
    const gated = this.#gated.get(socket.id)
    if (!gated) return
    for (const cut of cuts) gated.cuts.set(`${cut.topic}@${cut.sensor}`, Math.max(cut.seq, gated.cuts.get(`${cut.topic}@${cut.sensor}`) ?? 0))
    gated.holding = Math.max(0, gated.holding - 1)
    if (gated.holding > 0) return
    if (gated.overflow) {
      this.overflows += 1
      this.#forget(gated)
      socket.disconnect(true)
      return
    }
    const held = gated.held
    gated.held = []
    for (const data of held) this.#deliver(gated, data)
    gated.until = Date.now() + CUT_LIFETIME_MS
    this.#retireCuts()
  }

  /** Whether this server's stream reader has read an entry yet (see Gateway.refresh: until then it reads from `$`). */
  hasRead = false

  #intercept(broadcast: ClusterBroadcast): void {
    this.hasRead = true
    const [name, payload] = broadcast.data
    if (name === 'event') {
      this.#see(payload as AnyEnvelope)
      this.onStreamEvent?.(broadcast.rooms, payload as AnyEnvelope)
    } else if (name === 'events' && Array.isArray(payload)) for (const envelope of payload as AnyEnvelope[]) this.#see(envelope)
    if (this.#gated.size === 0) return
    for (const gated of this.#gated.values()) {
      if (!addressedTo(gated.socket, broadcast)) continue
      broadcast.except.push(gated.socket.id)
      const data = broadcast.offset === undefined ? [...broadcast.data] : [...broadcast.data, broadcast.offset]
      if (gated.holding > 0) this.#hold(gated, data)
      else this.#deliver(gated, data)
    }
  }

  #hold(gated: Gated, data: unknown[]): void {
    if (gated.held.length >= MAX_HELD_PACKETS) gated.overflow = true
    else gated.held.push(data)
  }

  /** A packet this server makes for its own sockets in `rooms` (a gateway's batches): through the gate like the stream's. */
  sendLocal(rooms: readonly string[], event: 'events', payload: AnyEnvelope[]): void {
    const except: string[] = []
    for (const gated of this.#gated.values()) {
      if (!rooms.some((room) => gated.socket.rooms.has(room))) continue
      except.push(gated.socket.id)
      if (gated.holding > 0) this.#hold(gated, [event, payload])
      else this.#deliver(gated, [event, payload])
    }
    const to = except.length === 0 ? this.#io.local.to([...rooms]) : this.#io.local.to([...rooms]).except(except)
    ;(to as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, payload)
  }

  #see(envelope: AnyEnvelope | undefined): void {
    if (envelope?.sensor === undefined || typeof envelope.id !== 'string') return
    const seq = sequenceOf(envelope.id)
    if (seq > (this.#seen.get(envelope.sensor) ?? 0)) this.#seen.set(envelope.sensor, seq)
    if (envelope.type === 'device:snapshot' && envelope.data.chunk === 0 && seq > (this.#snapshotsSeen.get(envelope.sensor) ?? 0)) this.#snapshotsSeen.set(envelope.sensor, seq)
  }

  /** Cuts the stream has passed (or that lived long enough) filter nothing any more. */
  #retireCuts(): void {
    const now = Date.now()
    for (const gated of this.#gated.values()) {
      if (gated.holding > 0) continue
      // A batch made here may still hold envelopes the stream passed a while ago: a batched
      // socket's cuts stay for their whole lifetime.
      const batched = [...gated.socket.rooms].some((room) => streamsOfBatchRoom(room) !== undefined)
      for (const [cut, seq] of gated.cuts) {
        const sensor = cut.slice(cut.indexOf('@') + 1)
        if ((!batched && (this.#seen.get(sensor) ?? 0) >= seq) || now > gated.until) gated.cuts.delete(cut)
      }
      if (gated.cuts.size === 0) this.#forget(gated)
    }
  }

  #deliver(gated: Gated, data: unknown[]): void {
    const [name, payload, ...rest] = data
    const covered = (envelope: AnyEnvelope): boolean => {
      if (envelope.sensor === undefined || typeof envelope.id !== 'string' || envelope.id.startsWith(this.#ownPrefix)) return false
      const cut = gated.cuts.get(`${EVENT_TYPES[envelope.type as EventType]?.room}@${envelope.sensor}`)
      return cut !== undefined && sequenceOf(envelope.id) <= cut
    }
    const to = this.#io.local.to(gated.socket.id) as unknown as { emit(event: string, ...args: unknown[]): void }
    if (name === 'event') {
      if (!covered(payload as AnyEnvelope)) to.emit('event', payload, ...rest)
    } else if (name === 'events' && Array.isArray(payload)) {
      const left = (payload as AnyEnvelope[]).filter((envelope) => !covered(envelope))
      if (left.length > 0) to.emit('events', left, ...rest)
    } else to.emit(String(name), payload, ...rest)
  }

  /** Sockets whose packets go through the gate now. */
  get size(): number {
    return this.#gated.size
  }

  close(): void {
    this.#unhook()
    this.#gated.clear()
  }
}

function addressedTo(socket: RealtimeSocket, broadcast: ClusterBroadcast): boolean {
  if (broadcast.except.some((room) => socket.rooms.has(room))) return false
  return broadcast.rooms.length === 0 || broadcast.rooms.some((room) => socket.rooms.has(room))
}
