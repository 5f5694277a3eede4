// The device filters that subscriptions use, each once however many sockets share it, and
// what each one's rooms know: the devices that matched it when last judged (its members).
//
// Every device envelope is judged once per distinct filter (not once per socket), and the
// verdict says what the filter's rooms get instead of the envelope:
// - `forward`: the envelope as it is (a member that still matches: its `changes` are
//   relative to what the room was sent, since the room was sent the same stream);
// - `enter`: a device that starts matching, as `new` with `reason: 'filter'`;
// - `leave`: a member that stops matching, as `remove` with `reason: 'filter'`;
// - nothing, for a device that neither matched nor matches.
// A signal:update carries no device: the filter judges the device as clients were last told
// it (the throttle's `known`, src/pipeline.ts deviceAsSaid), which is what that update leads to.
//
// Connection state recovery: a filter stays registered, judged and routed to while any room
// of it exists, and for the recovery window after its last room went away (a dropped client
// is in no room, and the packets must still reach the recovery buffer to be replayed), then
// it is forgotten with its members. Rooms are counted from the adapter's own create-room and
// delete-room events, which restored sessions go through as well.
import type { Clock } from '../clock.js'
import { compileFilter, filterId, canonicalFilter, type DevicePredicate } from '../device-filter.js'
import type { AnyEnvelope, DeviceFilter, WifiDevice } from '../events.js'
import { filtersOfRoom } from './rooms.js'

interface RegisteredFilter {
  readonly id: string
  readonly filter: DeviceFilter
  readonly canonical: string
  readonly matches: DevicePredicate
  /** Per sensor, the keys of the devices that matched when last judged: what the filter's rooms hold. */
  readonly members: Map<string, Set<string>>
  /** Rooms that exist now and refer to this filter. */
  rooms: number
  /** Since when no room refers to it (undefined while one does). */
  emptySince: number | undefined
}

/** What the filters decided about one device envelope, as lists of filter ids. */
export interface FilterVerdicts {
  forward: string[]
  enter: string[]
  leave: string[]
  /** The device the enter/leave envelopes carry (the state judged). */
  device: WifiDevice | undefined
}

export interface FilterRegistryDeps {
  clock: Clock
  recoveryWindowMs: number
  sensorNames: () => string[]
  /** A sensor's devices as clients were last told them. */
  devices: (sensor: string) => Iterable<WifiDevice>
  /** One device as clients were last told it. */
  device: (sensor: string, key: string) => WifiDevice | undefined
  /** Counts every judgement of a device by a filter. */
  onEvaluations: (count: number) => void
  /** The rooms that exist now (a filter registered again after a recovery may have some already). */
  rooms: () => Iterable<string>
}

export type RegisterResult = { ok: true; id: string } | { ok: false; message: string }

/** At most this many distinct filters at once: each costs one judgement per device change, and remembers the devices it lets through. */
export const MAX_DISTINCT_FILTERS = 100

export class FilterRegistry {
  readonly #d: FilterRegistryDeps
  readonly #filters = new Map<string, RegisteredFilter>()
  #lastRetirement = Number.NEGATIVE_INFINITY

  constructor(deps: FilterRegistryDeps) {
    this.#d = deps
  }

  get size(): number {
    return this.#filters.size
  }

  get(id: string): DeviceFilter | undefined {
    return this.#filters.get(id)?.filter
  }

  /** Registers a canonical filter (parseFilter's output), or finds it registered; its members are judged over every sensor's table now. */
  register(filter: DeviceFilter): RegisterResult {
    const id = filterId(filter)
    const canonical = canonicalFilter(filter)
    const known = this.#filters.get(id)
    if (known) {
      // Two filters with one id would share rooms: refuse the newcomer (64 bits: never seen in practice).
      if (known.canonical !== canonical) return { ok: false, message: 'This filter cannot be served now (its id is taken); change it slightly' }
      return { ok: true, id }
    }
    this.#retireAbandoned()
    if (this.#filters.size >= MAX_DISTINCT_FILTERS) return { ok: false, message: `Too many distinct filters in use (${MAX_DISTINCT_FILTERS}); use one that others use, or none` }
    let rooms = 0
    for (const room of this.#d.rooms()) if (room.includes(id) && filtersOfRoom(room).includes(id)) rooms += 1
    const entry: RegisteredFilter = { id, filter, canonical, matches: compileFilter(filter), members: new Map(), rooms, emptySince: rooms === 0 ? this.#d.clock.now() : undefined }
    for (const sensor of this.#d.sensorNames()) this.#judgeTable(entry, sensor)
    this.#filters.set(id, entry)
    return { ok: true, id }
  }

  /**
   * The filter a recovered socket's rooms name by `id`: registered still, or registered again
   * from the filter the socket's data kept ('gone' when there is none, or not the same one).
   */
  restore(id: string, filter: DeviceFilter | undefined): 'known' | 'registered' | 'gone' {
    if (this.#filters.has(id)) return 'known'
    const registered = filter ? this.register(filter) : undefined
    return registered?.ok && registered.id === id ? 'registered' : 'gone'
  }

  /** A sensor's table was replaced (a gateway read it again): every filter's members of it are judged anew. */
  rejudge(sensor: string): void {
    for (const entry of this.#filters.values()) this.#judgeTable(entry, sensor)
  }

  #judgeTable(entry: RegisteredFilter, sensor: string): void {
    let evaluations = 0
    const members = new Set<string>()
    for (const device of this.#d.devices(sensor)) {
      evaluations += 1
      if (entry.matches(device)) members.add(device.key)
    }
    entry.members.set(sensor, members)
    this.#d.onEvaluations(evaluations)
  }

  /** A sensor's devices that a filter's rooms hold, as clients were last told them (the filtered snapshot). */
  *membersOf(id: string, sensor: string): Iterable<WifiDevice> {
    const members = this.#filters.get(id)?.members.get(sensor)
    if (!members) return
    for (const key of members) {
      const device = this.#d.device(sensor, key)
      if (device) yield device
    }
  }

  /** The adapter created a room: the filters it refers to are in use. */
  roomCreated(room: string): void {
    for (const id of filtersOfRoom(room)) {
      const entry = this.#filters.get(id)
      if (!entry) continue
      entry.rooms += 1
      entry.emptySince = undefined
    }
  }

  /** The adapter deleted a room (its last socket left). */
  roomDeleted(room: string): void {
    for (const id of filtersOfRoom(room)) {
      const entry = this.#filters.get(id)
      if (!entry) continue
      entry.rooms = Math.max(0, entry.rooms - 1)
      if (entry.rooms === 0) entry.emptySince = this.#d.clock.now()
    }
  }

  /**
   * Judges one device envelope (device:update or signal:update about `sensor`) by every
   * filter, updating their members. Returns undefined when no filter is registered.
   */
  judge(envelope: AnyEnvelope, sensor: string): FilterVerdicts | undefined {
    if (this.#filters.size === 0) return undefined
    // Looking for abandoned filters once a second is enough (the window is minutes).
    if (this.#d.clock.now() - this.#lastRetirement >= 1000) this.#retireAbandoned()
    const verdicts: FilterVerdicts = { forward: [], enter: [], leave: [], device: undefined }
    let key: string
    let next: WifiDevice | undefined
    let removed = false
    let isNew = false
    if (envelope.type === 'device:update') {
      key = envelope.data.device.key
      next = envelope.data.device
      removed = envelope.data.action === 'remove'
      isNew = envelope.data.action === 'new'
    } else if (envelope.type === 'signal:update') {
      key = envelope.data.key
      next = this.#d.device(sensor, key)
    } else {
      return verdicts
    }
    verdicts.device = next
    let evaluations = 0
    for (const entry of this.#filters.values()) {
      let members = entry.members.get(sensor)
      if (!members) entry.members.set(sensor, (members = new Set()))
      const member = members.has(key)
      if (removed) {
        if (member) {
          members.delete(key)
          verdicts.forward.push(entry.id)
        }
        continue
      }
      if (next === undefined) {
        // A signal about a device nobody was told of: only its members may hear of it.
        if (member) verdicts.forward.push(entry.id)
        continue
      }
      evaluations += 1
      const matches = entry.matches(next)
      if (matches && (member || isNew)) {
        members.add(key)
        verdicts.forward.push(entry.id)
      } else if (matches) {
        members.add(key)
        verdicts.enter.push(entry.id)
      } else if (member) {
        members.delete(key)
        verdicts.leave.push(entry.id)
      }
    }
    this.#d.onEvaluations(evaluations)
    return verdicts
  }

  /** Forgets the filters no room has referred to for longer than the recovery window: nobody can come back to them. */
  #retireAbandoned(): void {
    const now = this.#d.clock.now()
    this.#lastRetirement = now
    for (const [id, entry] of this.#filters) {
      if (entry.rooms === 0 && entry.emptySince !== undefined && now - entry.emptySince > this.#d.recoveryWindowMs) this.#filters.delete(id)
    }
  }
}
