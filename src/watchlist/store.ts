// The watch list: its entries in memory, persisted in DATA_DIR/watchlist.json (atomic
// replace) after every change, before the change is answered. Without DATA_DIR it lives in
// memory only. A file that cannot be read at start is reported, left untouched, and the
// service runs with an empty list that refuses changes (they would replace the file) until
// the file is fixed or removed and the service restarted.
import { join } from 'node:path'
import type { Clock } from '../clock.js'
import type { WatchEntry } from '../events.js'
import { MAX_WATCH_ENTRIES, newEntry, storedListProblem } from './entries.js'
import { AtomicJsonFile, readJsonFile } from './json-file.js'

export const WATCHLIST_FILE = 'watchlist.json'

export type ChangeResult<T> = { ok: true; value: T } | { ok: false; reason: 'full' | 'unavailable' | 'not_found'; message: string }

export interface WatchListStoreOptions {
  /** Where the file lives; undefined: memory only. */
  dataDir: string | undefined
  clock: Clock
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; info(obj: object | string, msg?: string): void }
}

export class WatchListStore {
  readonly #o: WatchListStoreOptions
  readonly #file: AtomicJsonFile | undefined
  #entries: WatchEntry[] = []
  /** Why the list cannot be changed (the file could not be read at start), if so. */
  #problem: string | undefined
  readonly #listeners = new Set<(entries: readonly WatchEntry[], changed: ReadonlySet<string>) => void>()
  /** Changes run one after the other, each on the list the previous one left. */
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(options: WatchListStoreOptions) {
    this.#o = options
    this.#file = options.dataDir === undefined ? undefined : new AtomicJsonFile(join(options.dataDir, WATCHLIST_FILE))
  }

  /** Reads the file (if DATA_DIR is set). Never throws: a bad file is reported and the list starts empty. */
  static async open(options: WatchListStoreOptions): Promise<WatchListStore> {
    const store = new WatchListStore(options)
    if (!store.#file) {
      options.log.info('DATA_DIR is not set: the watch list is kept in memory only (lost at restart)')
      return store
    }
    const read = await readJsonFile<{ entries: WatchEntry[] }>(store.#file.path, (value) => {
      if (typeof value !== 'object' || value === null || !('entries' in value)) return 'has no "entries" list'
      return storedListProblem((value as { entries: unknown }).entries)
    })
    if (read.kind === 'ok') store.#entries = read.value.entries
    if (read.kind === 'corrupt') {
      store.#problem = `The watch list file ${store.#file.path} ${read.problem}; it is left untouched, the watch list is empty and refuses changes until the file is fixed or removed and the service restarted`
      options.log.error({ file: store.#file.path }, store.#problem)
    }
    return store
  }

  get entries(): readonly WatchEntry[] {
    return this.#entries
  }

  get problem(): string | undefined {
    return this.#problem
  }

  get persisted(): boolean {
    return this.#file !== undefined && this.#problem === undefined
  }

  get(id: string): WatchEntry | undefined {
    return this.#entries.find((entry) => entry.id === id)
  }

  /** Told of every change: the new list, and the ids of the entries added, changed or removed. */
  onChange(listener: (entries: readonly WatchEntry[], changed: ReadonlySet<string>) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  add(fields: Omit<WatchEntry, 'id' | 'createdAt'>): Promise<ChangeResult<WatchEntry>> {
    return this.#serialized(() => {
      if (this.#entries.length >= MAX_WATCH_ENTRIES) return Promise.resolve(full())
      const entry = newEntry(fields, this.#o.clock.now())
      return this.#commit([...this.#entries, entry], [entry.id], entry)
    })
  }

  replace(id: string, fields: Omit<WatchEntry, 'id' | 'createdAt'>): Promise<ChangeResult<WatchEntry>> {
    return this.#serialized(() => {
      const current = this.get(id)
      if (!current) return Promise.resolve(notFound(id))
      const entry: WatchEntry = { id, ...fields, createdAt: current.createdAt }
      return this.#commit(this.#entries.map((e) => (e.id === id ? entry : e)), [id], entry)
    })
  }

  remove(id: string): Promise<ChangeResult<WatchEntry>> {
    return this.#serialized(() => {
      const current = this.get(id)
      if (!current) return Promise.resolve(notFound(id))
      return this.#commit(this.#entries.filter((e) => e.id !== id), [id], current)
    })
  }

  /** Replaces the whole list. */
  replaceAll(list: Array<Omit<WatchEntry, 'id' | 'createdAt'>>): Promise<ChangeResult<readonly WatchEntry[]>> {
    return this.#serialized(() => {
      if (list.length > MAX_WATCH_ENTRIES) return Promise.resolve(full())
      const now = this.#o.clock.now()
      const entries = list.map((fields) => newEntry(fields, now))
      return this.#commit(entries, [...this.#entries, ...entries].map((e) => e.id), entries as readonly WatchEntry[])
    })
  }

  #serialized<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(change)
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Persists `next` (when there is a file), then makes it the list; a failed write changes nothing. */
  async #commit<T>(next: WatchEntry[], changed: string[], value: T): Promise<ChangeResult<T>> {
    if (this.#problem !== undefined) return { ok: false, reason: 'unavailable', message: this.#problem }
    if (this.#file) {
      await this.#file.save(() => ({ version: 1, entries: next }))
      const error = this.#file.lastError
      if (error !== undefined) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error'
        this.#o.log.error({ file: this.#file.path, code }, 'Could not write the watch list file')
        return { ok: false, reason: 'unavailable', message: `The watch list file ${this.#file.path} could not be written (${code}); nothing changed` }
      }
    }
    this.#entries = next
    const ids = new Set(changed)
    for (const listener of this.#listeners) listener(next, ids)
    return { ok: true, value }
  }
}

function full(): ChangeResult<never> {
  return { ok: false, reason: 'full', message: `The watch list holds at most ${MAX_WATCH_ENTRIES} entries` }
}

function notFound(id: string): ChangeResult<never> {
  return { ok: false, reason: 'not_found', message: `No watch-list entry ${JSON.stringify(id.slice(0, 64))}` }
}
