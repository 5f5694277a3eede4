// Watch-list entries: what a caller gives (a label and exactly one of a MAC, a MAC prefix or
// an SSID), the stored form (MACs upper-case with ':', an id and a creation time), and which
// entries a device matches, through indexes so that a device costs a few map lookups however
// long the list is.
import { randomBytes } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { normalizeMac } from '../device-filter.js'
import { MacAddressSchema, MacPrefixSchema, WatchEntrySchema, type WatchEntry, type WifiDevice } from '../events.js'

/** At most this many entries (the list is kept in memory and written whole on each change). */
export const MAX_WATCH_ENTRIES = 1000

export const WatchEntryInputSchema = Type.Object(
  {
    label: Type.String({ minLength: 1, maxLength: 128, description: 'what the entry is, for people' }),
    mac: Type.Optional(MacAddressSchema),
    oui: Type.Optional(MacPrefixSchema),
    ssid: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'an SSID, exact but case-insensitive' })),
  },
  { additionalProperties: false, description: 'a label and exactly one of mac, oui or ssid' },
)
export type WatchEntryInput = Static<typeof WatchEntryInputSchema>

const validStored = TypeCompiler.Compile(Type.Array(WatchEntrySchema, { maxItems: MAX_WATCH_ENTRIES }))

export type ParsedEntry = { ok: true; entry: Omit<WatchEntry, 'id' | 'createdAt'> } | { ok: false; message: string }

/** A caller's entry (already schema-checked) in stored form; refused unless exactly one matcher is given. */
export function parseEntryInput(input: WatchEntryInput): ParsedEntry {
  const given = (['mac', 'oui', 'ssid'] as const).filter((field) => input[field] !== undefined)
  if (given.length !== 1) return { ok: false, message: `An entry has a label and exactly one of mac, oui or ssid (got ${given.length === 0 ? 'none' : given.join(' and ')})` }
  if (input.mac !== undefined) return { ok: true, entry: { label: input.label, mac: normalizeMac(input.mac) } }
  if (input.oui !== undefined) return { ok: true, entry: { label: input.label, oui: normalizeMac(input.oui) } }
  return { ok: true, entry: { label: input.label, ssid: input.ssid! } }
}

export function newEntry(fields: Omit<WatchEntry, 'id' | 'createdAt'>, nowMs: number): WatchEntry {
  return { id: randomBytes(6).toString('hex'), ...fields, createdAt: nowMs }
}

/** What is wrong with a stored list (a file read back), or undefined when it is good. */
export function storedListProblem(value: unknown): string | undefined {
  if (!validStored.Check(value)) {
    const first = validStored.Errors(value).First()
    return Array.isArray(value) && value.length > MAX_WATCH_ENTRIES ? `holds ${value.length} entries, more than ${MAX_WATCH_ENTRIES}` : `is not a list of entries (${first?.path || '/'}: ${first?.message ?? 'invalid'})`
  }
  for (const entry of value) {
    const matchers = [entry.mac, entry.oui, entry.ssid].filter((m) => m !== undefined).length
    if (matchers !== 1) return `entry ${JSON.stringify(entry.id.slice(0, 40))} has ${matchers} matchers (exactly one of mac, oui, ssid)`
  }
  return undefined
}

/** The same matcher (what a change of label leaves as it was). */
export function sameMatcher(a: WatchEntry, b: Omit<WatchEntry, 'id' | 'createdAt'>): boolean {
  return a.mac === b.mac && a.oui === b.oui && a.ssid?.toLowerCase() === b.ssid?.toLowerCase()
}

/** Entries by what they match: a device is looked up by its MAC, each prefix of it, and its SSID. */
export class EntryIndex {
  readonly #byMac = new Map<string, WatchEntry[]>()
  readonly #byPrefix = new Map<string, WatchEntry[]>()
  readonly #bySsid = new Map<string, WatchEntry[]>()

  constructor(entries: readonly WatchEntry[]) {
    const add = (map: Map<string, WatchEntry[]>, key: string, entry: WatchEntry) => {
      const list = map.get(key)
      if (list) list.push(entry)
      else map.set(key, [entry])
    }
    for (const entry of entries) {
      if (entry.mac !== undefined) add(this.#byMac, entry.mac, entry)
      else if (entry.oui !== undefined) add(this.#byPrefix, entry.oui, entry)
      else if (entry.ssid !== undefined) add(this.#bySsid, entry.ssid.toLowerCase(), entry)
    }
  }

  /** The entries a device matches (none: an empty array). */
  matching(device: WifiDevice): WatchEntry[] {
    const found: WatchEntry[] = []
    const byMac = this.#byMac.get(device.mac)
    if (byMac) found.push(...byMac)
    if (this.#byPrefix.size > 0) {
      // "AA", "AA:BB", ... "AA:BB:CC:DD:EE": the prefixes of whole octets.
      for (let end = 2; end < 17; end += 3) {
        const byPrefix = this.#byPrefix.get(device.mac.slice(0, end))
        if (byPrefix) found.push(...byPrefix)
      }
    }
    if (device.ssid !== null && this.#bySsid.size > 0) {
      const bySsid = this.#bySsid.get(device.ssid.toLowerCase())
      if (bySsid) found.push(...bySsid)
    }
    return found
  }
}
