// Found and lost, per watch-list entry and device (a device is a sensor and a key): a side
// output of the event channel, like any client. It reads the device envelopes the pipelines
// publish and publishes `watch:found` when a matching device is heard for the first time or
// again after being lost, and `watch:lost` when it has not been heard for WATCH_LOST_S.
//
// "Heard" is Kismet moving the device's lastSeen: a resync, a restart of this service or a
// Kismet restart that reports a device again with the lastSeen already known hears nothing
// new, so each transition is told once. The states are persisted (DATA_DIR/watch-state.json)
// as soon as one changes, so that a restart neither repeats a found nor forgets a lost.
import { join } from 'node:path'
import type { Clock, TimerHandle } from '../clock.js'
import type { EnvelopeFactory } from '../envelope.js'
import type { AnyEnvelope, Envelope, WatchEntry, WifiDevice } from '../events.js'
import { EntryIndex, sameMatcher } from './entries.js'
import { AtomicJsonFile, readJsonFile } from './json-file.js'
import type { WatchListStore } from './store.js'

export const WATCH_STATE_FILE = 'watch-state.json'
/** At most this many (entry, device) pairs are remembered; beyond, the lost ones heard longest ago are forgotten first. */
export const MAX_WATCH_STATES = 5000
/** How often `present` states are checked against WATCH_LOST_S. */
const CHECK_INTERVAL_MS = 1000
/** A state whose only change is a fresher hearing is written at most this often. */
const LAZY_SAVE_MS = 10_000

interface WatchState {
  entryId: string
  sensor: string
  key: string
  present: boolean
  /** Kismet's lastSeen of the device when last heard. */
  lastSeen: number
  /** This service's clock when it last heard the device. */
  heardAt: number
  device: WifiDevice
}

export interface WatcherCounters {
  found: number
  lost: number
  tracked: number
}

export interface WatcherOptions {
  store: WatchListStore
  factory: EnvelopeFactory
  publish: (envelope: AnyEnvelope) => void
  subscribe: (listener: (envelope: AnyEnvelope) => void) => () => void
  clock: Clock
  lostMs: number
  dataDir: string | undefined
  /** The sensors' tables now: an entry added matches the devices they hold at once. */
  tables: () => Iterable<{ sensor: string; device: WifiDevice }>
  log: { warn(obj: object, msg: string): void }
}

const stateKey = (entryId: string, sensor: string, key: string) => `${entryId}\u0000${sensor}\u0000${key}`
const deviceKey = (sensor: string, key: string) => `${sensor}\u0000${key}`

export class Watcher {
  readonly counters: WatcherCounters = { found: 0, lost: 0, tracked: 0 }
  readonly #o: WatcherOptions
  readonly #file: AtomicJsonFile | undefined
  readonly #states = new Map<string, WatchState>()
  /** sensor+key -> the state keys of that device, for signal:update (which carries no SSID). */
  readonly #byDevice = new Map<string, Set<string>>()
  #entries = new Map<string, WatchEntry>()
  #index = new EntryIndex([])
  #timer: TimerHandle | undefined
  #unsubscribe: (() => void) | undefined
  #unwatchStore: (() => void) | undefined
  #lazyDirty = false
  #lastSave = 0

  private constructor(options: WatcherOptions) {
    this.#o = options
    this.#file = options.dataDir === undefined ? undefined : new AtomicJsonFile(join(options.dataDir, WATCH_STATE_FILE))
  }

  /** Reads the persisted states, then starts watching. A bad state file is reported and replaced (it is derived state). */
  static async start(options: WatcherOptions): Promise<Watcher> {
    const watcher = new Watcher(options)
    watcher.#useEntries(options.store.entries)
    if (watcher.#file) {
      const read = await readJsonFile<{ states: WatchState[] }>(watcher.#file.path, (value) =>
        typeof value === 'object' && value !== null && Array.isArray((value as { states?: unknown }).states) ? undefined : 'has no "states" list',
      )
      if (read.kind === 'corrupt') options.log.warn({ file: watcher.#file.path }, `The watch state file ${read.problem}: found/lost start afresh`)
      if (read.kind === 'ok') for (const state of read.value.states) if (isState(state) && watcher.#entries.has(state.entryId)) watcher.#remember(state)
    }
    watcher.#unwatchStore = options.store.onChange((entries, changed) => watcher.#entriesChanged(entries, changed))
    watcher.#unsubscribe = options.subscribe((envelope) => watcher.#onEnvelope(envelope))
    watcher.#arm()
    return watcher
  }

  /** Waits for the state file to be written (tests; shutdown). */
  async flush(): Promise<void> {
    if (this.#file) await this.#file.save(() => this.#serialise())
  }

  close(): void {
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#unsubscribe?.()
    this.#unwatchStore?.()
  }

  #useEntries(entries: readonly WatchEntry[]): void {
    this.#entries = new Map(entries.map((entry) => [entry.id, entry]))
    this.#index = new EntryIndex(entries)
  }

  #entriesChanged(entries: readonly WatchEntry[], changed: ReadonlySet<string>): void {
    const before = this.#entries
    this.#useEntries(entries)
    // A removed entry, or one that now matches something else, forgets what it had seen.
    for (const [key, state] of this.#states) {
      if (!changed.has(state.entryId)) continue
      const now = this.#entries.get(state.entryId)
      const was = before.get(state.entryId)
      // A new label only: the state stands.
      if (!now || !was || !sameMatcher(now, was)) this.#forget(key, state)
    }
    // New or changed entries match what the tables hold now.
    const fresh = [...changed].filter((id) => this.#entries.has(id))
    if (fresh.length > 0) {
      const index = new EntryIndex(fresh.map((id) => this.#entries.get(id)!))
      for (const { sensor, device } of this.#o.tables()) for (const entry of index.matching(device)) this.#heard(entry, sensor, device)
    }
    this.#save()
  }

  #onEnvelope(envelope: AnyEnvelope): void {
    if (this.#entries.size === 0) return
    const sensor = envelope.sensor ?? ''
    if (envelope.type === 'device:update') {
      if (envelope.data.action === 'remove') return
      const { device } = envelope.data
      for (const entry of this.#index.matching(device)) this.#heard(entry, sensor, device)
    } else if (envelope.type === 'signal:update') {
      const keys = this.#byDevice.get(deviceKey(sensor, envelope.data.key))
      if (!keys) return
      const { signal, lastSeen, packets, dataBytes } = envelope.data
      for (const key of keys) {
        const state = this.#states.get(key)
        const entry = state && this.#entries.get(state.entryId)
        if (state && entry) this.#heard(entry, sensor, { ...state.device, signal, lastSeen, packets, dataBytes })
      }
    }
  }

  /** `device` of `sensor` matches `entry` and was reported: found if it is heard for the first time or again. */
  #heard(entry: WatchEntry, sensor: string, device: WifiDevice): void {
    const key = stateKey(entry.id, sensor, device.key)
    const state = this.#states.get(key)
    const now = this.#o.clock.now()
    if (!state) {
      this.#remember({ entryId: entry.id, sensor, key: device.key, present: true, lastSeen: device.lastSeen, heardAt: now, device })
      this.#transition('watch:found', entry, sensor, device, now)
      return
    }
    state.device = device
    // Reported again with the lastSeen already known (a resync, a restart): nothing was heard.
    if (device.lastSeen === state.lastSeen) return
    state.lastSeen = device.lastSeen
    state.heardAt = now
    if (state.present) {
      this.#lazyDirty = true
      return
    }
    state.present = true
    this.#transition('watch:found', entry, sensor, device, now)
  }

  #transition(type: 'watch:found' | 'watch:lost', entry: WatchEntry, sensor: string, device: WifiDevice, lastHeard: number): void {
    if (type === 'watch:found') this.counters.found += 1
    else this.counters.lost += 1
    this.#save()
    const envelope: Envelope<typeof type> = this.#o.factory.create(type, { entry, device, lastHeard }, sensor)
    this.#o.publish(envelope as AnyEnvelope)
  }

  #check(): void {
    const now = this.#o.clock.now()
    for (const state of this.#states.values()) {
      if (!state.present || now - state.heardAt <= this.#o.lostMs) continue
      const entry = this.#entries.get(state.entryId)
      if (!entry) continue
      state.present = false
      this.#transition('watch:lost', entry, state.sensor, state.device, state.heardAt)
    }
    if (this.#lazyDirty && now - this.#lastSave >= LAZY_SAVE_MS) this.#save()
  }

  #arm(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#check()
      this.#arm()
    }, CHECK_INTERVAL_MS)
  }

  #remember(state: WatchState): void {
    if (this.#states.size >= MAX_WATCH_STATES) this.#evictOne()
    const key = stateKey(state.entryId, state.sensor, state.key)
    this.#states.set(key, state)
    const dk = deviceKey(state.sensor, state.key)
    let keys = this.#byDevice.get(dk)
    if (!keys) this.#byDevice.set(dk, (keys = new Set()))
    keys.add(key)
    this.counters.tracked = this.#states.size
  }

  #forget(key: string, state: WatchState): void {
    this.#states.delete(key)
    const dk = deviceKey(state.sensor, state.key)
    const keys = this.#byDevice.get(dk)
    keys?.delete(key)
    if (keys?.size === 0) this.#byDevice.delete(dk)
    this.counters.tracked = this.#states.size
  }

  /** Forgets the lost state heard longest ago (or, with none lost, the present one). */
  #evictOne(): void {
    let oldest: [string, WatchState] | undefined
    for (const entry of this.#states) {
      const [, state] = entry
      if (!oldest || (!state.present && oldest[1].present) || (state.present === oldest[1].present && state.heardAt < oldest[1].heardAt)) oldest = entry
    }
    if (oldest) this.#forget(oldest[0], oldest[1])
  }

  #save(): void {
    const file = this.#file
    if (!file) return
    this.#lazyDirty = false
    this.#lastSave = this.#o.clock.now()
    void file.save(() => this.#serialise()).then(() => {
      if (file.lastError !== undefined) this.#o.log.warn({ file: file.path, code: (file.lastError as NodeJS.ErrnoException).code }, 'Could not write the watch state file')
    })
  }

  #serialise(): { version: 1; states: WatchState[] } {
    return { version: 1, states: [...this.#states.values()] }
  }
}

function isState(value: unknown): value is WatchState {
  const s = value as Partial<WatchState> | null
  return (
    typeof s === 'object' && s !== null && typeof s.entryId === 'string' && typeof s.sensor === 'string' && typeof s.key === 'string' &&
    typeof s.present === 'boolean' && typeof s.lastSeen === 'number' && typeof s.heardAt === 'number' && typeof s.device === 'object' && s.device !== null
  )
}
