// The device table: sortable columns, a search, counts by type and band, and only the rows in
// view in the DOM (a pool of row elements moved as the table scrolls). With thousands of
// devices changing every second, the order and filter are worked out again at most every
// REORDER_MS (rows that keep jumping cannot be read, and a sort costs), at once when the
// person sorts or searches; the rows in view are redrawn every frame something in them changed.
import type { WifiDevice } from '../../src/events.js'
import { el, setText } from './dom.js'
import { ago, BANDS, count, displayName, orDash, type Band } from './format.js'
import type { DeviceRow, DeviceStore, StoreChanges } from './store.js'

export const ROW_HEIGHT = 28
const OVERSCAN = 4
const REORDER_MS = 300

type SortValue = string | number | null

interface Column {
  id: string
  label: string
  /** CSS grid track. */
  width: string
  text: (row: DeviceRow, now: number) => string
  sortValue: (row: DeviceRow) => SortValue
  /** First click sorts descending (numbers: strongest, newest, most first). */
  descendingFirst?: boolean
  numeric?: boolean
}

const lower = (value: string | null) => (value === null || value === '' ? null : value.toLowerCase())

const COLUMNS: Column[] = [
  { id: 'name', label: 'Name', width: 'minmax(9rem, 2fr)', text: (r) => displayName(r.device), sortValue: (r) => lower(displayName(r.device)) },
  { id: 'mac', label: 'MAC', width: '10.5rem', text: (r) => r.device.mac, sortValue: (r) => r.device.mac },
  { id: 'type', label: 'Type', width: '5rem', text: (r) => r.device.type, sortValue: (r) => r.device.type },
  { id: 'channel', label: 'Ch', width: '3rem', text: (r) => orDash(r.device.channel), sortValue: (r) => r.device.channel, numeric: true },
  { id: 'band', label: 'Band', width: '4.5rem', text: (r) => orDash(r.band), sortValue: (r) => r.band },
  { id: 'signal', label: 'Signal', width: '4.5rem', text: (r) => orDash(r.device.signal), sortValue: (r) => r.device.signal, descendingFirst: true, numeric: true },
  { id: 'encryption', label: 'Encryption', width: 'minmax(6rem, 1fr)', text: (r) => orDash(r.device.encryption), sortValue: (r) => lower(r.device.encryption) },
  { id: 'manufacturer', label: 'Manufacturer', width: 'minmax(7rem, 1.3fr)', text: (r) => orDash(r.device.manufacturer), sortValue: (r) => lower(r.device.manufacturer) },
  { id: 'packets', label: 'Packets', width: '5rem', text: (r) => count(r.device.packets), sortValue: (r) => r.device.packets, descendingFirst: true, numeric: true },
  { id: 'lastSeen', label: 'Heard', width: '4.5rem', text: (r, now) => ago(r.device.lastSeen, now), sortValue: (r) => r.device.lastSeen, descendingFirst: true, numeric: true },
  { id: 'sensor', label: 'Sensor', width: 'minmax(5rem, 0.8fr)', text: (r) => r.sensor, sortValue: (r) => r.sensor },
]

export interface Counts {
  total: number
  shown: number
  byType: Map<WifiDevice['type'], number>
  byBand: Map<Band | 'unknown', number>
}

interface RowElement {
  node: HTMLDivElement
  cells: HTMLSpanElement[]
  row: DeviceRow | undefined
  version: number
  second: number
  /** Where it stands (index in the view) and whether it shows the selection, as last written. */
  position: number
  selected: boolean
}

export interface DeviceTableOptions {
  store: DeviceStore
  onSelect: (id: string) => void
  /** Asks for another frame (a deferred reorder is due). */
  requestFrame: () => void
}

export class DeviceTable {
  readonly root: HTMLDivElement
  readonly #store: DeviceStore
  readonly #options: DeviceTableOptions
  readonly #header: HTMLDivElement
  readonly #body: HTMLDivElement
  readonly #spacer: HTMLDivElement
  readonly #empty: HTMLDivElement
  readonly #pool: RowElement[] = []
  readonly #headerCells = new Map<string, HTMLButtonElement>()
  #columns: Column[] = COLUMNS.filter((c) => c.id !== 'sensor')
  #view: DeviceRow[] = []
  #terms: string[] = []
  #sort: { column: string; descending: boolean } = { column: 'signal', descending: true }
  #dirty = true
  #urgent = true
  #lastBuild = Number.NEGATIVE_INFINITY
  #deferred: ReturnType<typeof setTimeout> | undefined
  #spacerRows = -1
  #selected: string | undefined
  counts: Counts = { total: 0, shown: 0, byType: new Map(), byBand: new Map() }

  constructor(options: DeviceTableOptions) {
    this.#store = options.store
    this.#options = options
    this.#header = el('div', { class: 'thead', attrs: { role: 'row' } })
    this.#spacer = el('div', { class: 'spacer' })
    this.#empty = el('div', { class: 'empty', text: 'Waiting for devices…' })
    this.#body = el('div', { class: 'tbody', attrs: { tabindex: '0', role: 'rowgroup' } }, this.#spacer, this.#empty)
    this.root = el('div', { class: 'table', attrs: { role: 'grid', 'aria-label': 'Devices' } }, this.#header, this.#body)
    this.#body.addEventListener('scroll', () => options.requestFrame())
    this.#body.addEventListener('click', (event) => {
      const node = (event.target as HTMLElement).closest<HTMLDivElement>('.row')
      const id = node ? this.#pool.find((r) => r.node === node)?.row?.id : undefined
      if (id !== undefined) options.onSelect(id)
    })
    this.#body.addEventListener('keydown', (event) => this.#onKey(event))
    new ResizeObserver(() => options.requestFrame()).observe(this.#body)
    this.#layoutColumns()
  }

  /** Space-separated words, each of which a row must contain (name, SSID, MAC, manufacturer, encryption, type, sensor). */
  setQuery(query: string): void {
    this.#terms = query.toLowerCase().split(/\s+/).filter(Boolean)
    this.#invalidate(true)
  }

  select(id: string | undefined): void {
    this.#selected = id
    this.#options.requestFrame()
  }

  /** Shows the sensor column when there is more than one sensor. */
  setSensorCount(sensors: number): void {
    const wanted = sensors > 1
    if (wanted === this.#columns.some((c) => c.id === 'sensor')) return
    this.#columns = wanted ? COLUMNS : COLUMNS.filter((c) => c.id !== 'sensor')
    for (const rowElement of this.#pool) rowElement.node.remove()
    this.#pool.length = 0
    this.#layoutColumns()
    this.#invalidate(true)
  }

  /** Once per frame: what the store changed, and the service's time now. */
  update(changes: StoreChanges, now: number): void {
    if (changes.structure) this.#invalidate(false)
    if (this.#dirty) this.#maybeRebuild()
    this.#render(now)
  }

  #invalidate(urgent: boolean): void {
    this.#dirty = true
    this.#urgent ||= urgent
    if (urgent) this.#options.requestFrame()
  }

  #maybeRebuild(): void {
    const wait = this.#lastBuild + REORDER_MS - performance.now()
    if (!this.#urgent && wait > 0) {
      this.#deferred ??= setTimeout(() => {
        this.#deferred = undefined
        this.#options.requestFrame()
      }, wait)
      return
    }
    this.#rebuild()
  }

  #rebuild(): void {
    const column = COLUMNS.find((c) => c.id === this.#sort.column) ?? COLUMNS[0]!
    const terms = this.#terms
    const byType = new Map<WifiDevice['type'], number>()
    const byBand = new Map<Band | 'unknown', number>()
    const keyed: Array<{ value: SortValue; row: DeviceRow }> = []
    for (const row of this.#store.rows.values()) {
      if (terms.length > 0 && !terms.every((term) => row.haystack.includes(term))) continue
      keyed.push({ value: column.sortValue(row), row })
      byType.set(row.device.type, (byType.get(row.device.type) ?? 0) + 1)
      const band = row.band ?? 'unknown'
      byBand.set(band, (byBand.get(band) ?? 0) + 1)
    }
    const direction = this.#sort.descending ? -1 : 1
    keyed.sort((a, b) => {
      // Rows without a value go last whichever way the column is sorted.
      if (a.value === null || b.value === null) return a.value === b.value ? tieBreak(a.row, b.row) : a.value === null ? 1 : -1
      if (a.value < b.value) return -direction
      if (a.value > b.value) return direction
      return tieBreak(a.row, b.row)
    })
    this.#view = keyed.map((k) => k.row)
    this.counts = { total: this.#store.rows.size, shown: this.#view.length, byType, byBand }
    if (this.counts.shown !== this.#spacerRows) {
      this.#spacerRows = this.counts.shown
      this.#spacer.style.height = `${this.#view.length * ROW_HEIGHT}px`
      this.root.setAttribute('aria-rowcount', String(this.#view.length))
    }
    if (this.#empty.hidden !== this.#view.length > 0) this.#empty.hidden = this.#view.length > 0
    if (this.#view.length === 0) {
      setText(this.#empty, this.#store.rows.size === 0 ? 'Waiting for devices…' : `No device matches “${this.#terms.join(' ')}”`)
    }
    this.#dirty = false
    this.#urgent = false
    this.#lastBuild = performance.now()
    this.#updateHeader()
  }

  #render(now: number): void {
    const view = this.#view
    const top = this.#body.scrollTop
    const height = this.#body.clientHeight
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN)
    const last = Math.min(view.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN)
    const needed = Math.max(0, last - first)
    while (this.#pool.length < needed) this.#pool.push(this.#newRowElement())
    const second = Math.floor(now / 1000)
    for (let i = 0; i < this.#pool.length; i++) {
      const rowElement = this.#pool[i]!
      const row = i < needed ? view[first + i] : undefined
      if (!row) {
        if (!rowElement.node.hidden) rowElement.node.hidden = true
        rowElement.row = undefined
        continue
      }
      const moved = rowElement.row !== row
      // Only what differs is written: a write costs a style recalculation even when it changes nothing.
      if (rowElement.node.hidden) rowElement.node.hidden = false
      if (rowElement.position !== first + i) {
        rowElement.position = first + i
        rowElement.node.style.transform = `translateY(${(first + i) * ROW_HEIGHT}px)`
        rowElement.node.setAttribute('aria-rowindex', String(first + i + 1))
      }
      const selected = row.id === this.#selected
      if (rowElement.selected !== selected) {
        rowElement.selected = selected
        rowElement.node.classList.toggle('selected', selected)
      }
      if (moved || rowElement.version !== row.version || rowElement.second !== second) {
        this.#fill(rowElement, row, now)
        rowElement.row = row
        rowElement.version = row.version
        rowElement.second = second
      }
    }
  }

  #fill(rowElement: RowElement, row: DeviceRow, now: number): void {
    const columns = this.#columns
    for (let c = 0; c < columns.length; c++) setText(rowElement.cells[c]!, columns[c]!.text(row, now))
    if (rowElement.node.dataset['type'] !== row.device.type) rowElement.node.dataset['type'] = row.device.type
  }

  #newRowElement(): RowElement {
    const cells = this.#columns.map((c) => el('span', { class: `cell c-${c.id}${c.numeric ? ' num' : ''}`, attrs: { role: 'gridcell' } }))
    const node = el('div', { class: 'row', attrs: { role: 'row' } }, ...cells)
    node.hidden = true
    this.#body.append(node)
    return { node, cells, row: undefined, version: -1, second: -1, position: -1, selected: false }
  }

  #layoutColumns(): void {
    this.root.style.setProperty('--columns', this.#columns.map((c) => c.width).join(' '))
    this.#header.replaceChildren()
    this.#headerCells.clear()
    for (const column of this.#columns) {
      const button = el('button', { class: `th c-${column.id}${column.numeric ? ' num' : ''}`, text: column.label, attrs: { type: 'button', role: 'columnheader' } })
      button.addEventListener('click', () => this.#sortBy(column))
      this.#headerCells.set(column.id, button)
      this.#header.append(button)
    }
    this.#updateHeader()
  }

  #updateHeader(): void {
    for (const [id, button] of this.#headerCells) {
      const sorted = id === this.#sort.column
      button.setAttribute('aria-sort', sorted ? (this.#sort.descending ? 'descending' : 'ascending') : 'none')
    }
  }

  #sortBy(column: Column): void {
    this.#sort =
      this.#sort.column === column.id ? { column: column.id, descending: !this.#sort.descending } : { column: column.id, descending: column.descendingFirst === true }
    this.#invalidate(true)
  }

  #onKey(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
    event.preventDefault()
    const index = this.#view.findIndex((row) => row.id === this.#selected)
    const next = this.#view[Math.max(0, Math.min(this.#view.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)))]
    if (!next) return
    this.#options.onSelect(next.id)
    const y = this.#view.indexOf(next) * ROW_HEIGHT
    if (y < this.#body.scrollTop) this.#body.scrollTop = y
    else if (y + ROW_HEIGHT > this.#body.scrollTop + this.#body.clientHeight) this.#body.scrollTop = y + ROW_HEIGHT - this.#body.clientHeight
  }
}

function tieBreak(a: DeviceRow, b: DeviceRow): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The counts as chips' text: "AP 12", "2.4 GHz 40", in a fixed order. */
export function countLabels(counts: Counts): { types: Array<[string, number]>; bands: Array<[string, number]> } {
  const types = [...counts.byType.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
  const bands: Array<[string, number]> = [...BANDS, 'unknown' as const].flatMap((band) => {
    const n = counts.byBand.get(band) ?? 0
    return n > 0 ? [[band, n] as [string, number]] : []
  })
  return { types, bands }
}
