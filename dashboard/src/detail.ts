// The selected device: its fields, and its signal over the last minutes (the service's
// history, GET /devices/:key, then extended live from the stream) drawn on a canvas.
import type { Api } from './api.js'
import { el, setText } from './dom.js'
import { ago, bytes, count, dateTime, displayName, orDash, signal } from './format.js'
import type { DeviceRow } from './store.js'

interface Sample {
  t: number
  dbm: number
}

const DEFAULT_WINDOW_MS = 300_000
const DEFAULT_STEP_MS = 5_000

export class DetailPane {
  readonly root: HTMLElement
  readonly #api: Api
  readonly #title: HTMLHeadingElement
  readonly #note: HTMLParagraphElement
  readonly #fields: HTMLDListElement
  readonly #values = new Map<string, HTMLElement>()
  readonly #canvas: HTMLCanvasElement
  readonly #chartNote: HTMLParagraphElement
  #row: DeviceRow | undefined
  #gone = false
  #version = -1
  #samples: Sample[] = []
  #windowMs = DEFAULT_WINDOW_MS
  #stepMs = DEFAULT_STEP_MS
  #drawnAt = -1
  #request = 0

  constructor(api: Api) {
    this.#api = api
    this.#title = el('h2', { text: 'No device selected' })
    this.#note = el('p', { class: 'note', text: 'Pick a row to see the device and its signal over the last minutes.' })
    this.#canvas = el('canvas', { class: 'trend', attrs: { role: 'img', 'aria-label': 'Signal over the last minutes' } })
    this.#chartNote = el('p', { class: 'note chart-note' })
    this.#fields = el('dl', { class: 'fields' })
    for (const [id, label] of FIELDS) {
      const value = el('dd', { data: { field: id } })
      this.#values.set(id, value)
      this.#fields.append(el('dt', { text: label }), value)
    }
    this.root = el('section', { class: 'detail', attrs: { 'aria-label': 'Selected device' } }, this.#title, this.#note, this.#canvas, this.#chartNote, this.#fields)
    this.root.dataset['empty'] = 'true'
  }

  get selected(): DeviceRow | undefined {
    return this.#row
  }

  show(row: DeviceRow | undefined, now: number): void {
    this.#row = row
    this.#gone = false
    this.#version = -1
    this.#samples = []
    this.#drawnAt = -1
    this.root.dataset['empty'] = row ? 'false' : 'true'
    this.root.dataset['history'] = 'loading'
    if (!row) {
      setText(this.#title, 'No device selected')
      setText(this.#note, 'Pick a row to see the device and its signal over the last minutes.')
      return
    }
    setText(this.#note, '')
    this.#refresh(now)
    void this.#loadHistory(row, now)
  }

  /** Once per frame: the selected row changed, left, or time moved on. */
  update(rows: ReadonlyMap<string, DeviceRow>, changed: Set<string>, now: number): void {
    const row = this.#row
    if (!row) return
    if (changed.has(row.id) && !rows.has(row.id) && !this.#gone) {
      this.#gone = true
      this.root.dataset['gone'] = 'true'
      setText(this.#note, `Gone: the service removed it (not heard for a while). Last heard ${dateTime(row.device.lastSeen)}.`)
    }
    const current = rows.get(row.id)
    if (current && current !== row) {
      // The same device after a reconnect's snapshot: keep following it.
      this.#row = current
      this.#gone = false
      delete this.root.dataset['gone']
      setText(this.#note, '')
    }
    if (this.#row!.version !== this.#version) {
      this.#addLiveSample(this.#row!)
      this.#refresh(now)
    }
    if (Math.floor(now / 1000) !== this.#drawnAt) this.#draw(now)
  }

  async #loadHistory(row: DeviceRow, now: number): Promise<void> {
    const request = ++this.#request
    const result = await this.#api.device(row.sensor, row.device.key)
    if (request !== this.#request || this.#row?.id !== row.id) return // another device was picked meanwhile
    if (!result.ok) {
      this.root.dataset['history'] = 'failed'
      setText(this.#chartNote, `No history: ${result.message}`)
      this.#draw(now)
      return
    }
    const { history } = result.body.data
    this.#windowMs = history.windowMs || DEFAULT_WINDOW_MS
    this.#stepMs = history.stepMs || DEFAULT_STEP_MS
    // What arrived live while the request was out is newer than what the service answered.
    const live = this.#samples
    this.#samples = history.signal.map((s) => ({ t: s.t, dbm: s.dbm }))
    for (const sample of live) this.#put(sample)
    this.root.dataset['history'] = 'loaded'
    this.root.dataset['samples'] = String(this.#samples.length)
    setText(this.#chartNote, history.windowMs === 0 ? 'The service keeps no history (HISTORY_WINDOW_S=0).' : '')
    this.#draw(now)
  }

  #addLiveSample(row: DeviceRow): void {
    if (row.device.signal === null) return
    this.#put({ t: Math.floor(row.signalAt / this.#stepMs) * this.#stepMs, dbm: row.device.signal })
    this.root.dataset['samples'] = String(this.#samples.length)
  }

  /** One sample per step, in time order: a newer value for a step replaces the older. */
  #put(sample: Sample): void {
    const samples = this.#samples
    let i = samples.length
    while (i > 0 && samples[i - 1]!.t > sample.t) i--
    if (i > 0 && samples[i - 1]!.t === sample.t) samples[i - 1] = sample
    else samples.splice(i, 0, sample)
  }

  #refresh(now: number): void {
    const row = this.#row!
    const d = row.device
    this.#version = row.version
    setText(this.#title, displayName(d))
    const values: Record<string, string> = {
      mac: d.mac,
      sensor: row.sensor,
      type: d.type,
      ssid: d.ssid === null ? '–' : d.ssid === '' ? '(hidden)' : d.ssid,
      manufacturer: orDash(d.manufacturer),
      channel: d.channel === null ? '–' : `${d.channel}${d.frequency === null ? '' : ` (${d.frequency} MHz)`}`,
      encryption: orDash(d.encryption),
      signal: signal(d.signal),
      packets: count(d.packets),
      data: bytes(d.dataBytes),
      firstSeen: dateTime(d.firstSeen),
      lastSeen: `${dateTime(d.lastSeen)} (${ago(d.lastSeen, now)})`,
      clients: d.clients === undefined ? '–' : count(d.clients),
      bssid: orDash(d.bssid),
      location: d.location ? `${d.location.lat.toFixed(6)}, ${d.location.lon.toFixed(6)} (fix ${d.location.fix})` : '–',
      key: d.key,
    }
    for (const [id, value] of this.#values) setText(value, values[id] ?? '–')
  }

  #draw(now: number): void {
    this.#drawnAt = Math.floor(now / 1000)
    const canvas = this.#canvas
    const ratio = window.devicePixelRatio || 1
    const width = canvas.clientWidth
    const height = canvas.clientHeight
    if (width === 0 || height === 0) return
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio)
      canvas.height = Math.round(height * ratio)
    }
    const g = canvas.getContext('2d')
    if (!g) return
    g.setTransform(ratio, 0, 0, ratio, 0, 0)
    g.clearRect(0, 0, width, height)
    const from = now - this.#windowMs
    const samples = this.#samples.filter((s) => s.t >= from - this.#stepMs)
    const left = 44
    const right = 8
    const top = 8
    const bottom = 20
    const values = samples.map((s) => s.dbm)
    const high = Math.min(0, Math.ceil((Math.max(-30, ...values) + 5) / 10) * 10)
    const low = Math.floor((Math.min(-90, ...values) - 5) / 10) * 10
    const x = (t: number) => left + ((t - from) / this.#windowMs) * (width - left - right)
    const y = (dbm: number) => top + ((high - dbm) / (high - low)) * (height - top - bottom)

    g.font = '11px system-ui, sans-serif'
    g.lineWidth = 1
    g.strokeStyle = 'rgba(148, 163, 184, 0.25)'
    g.fillStyle = 'rgba(148, 163, 184, 0.9)'
    g.textBaseline = 'middle'
    g.textAlign = 'right'
    const gridStep = high - low > 60 ? 20 : 10
    for (let dbm = high; dbm >= low; dbm -= gridStep) {
      g.beginPath()
      g.moveTo(left, y(dbm) + 0.5)
      g.lineTo(width - right, y(dbm) + 0.5)
      g.stroke()
      g.fillText(`${dbm}`, left - 6, y(dbm))
    }
    g.textBaseline = 'alphabetic'
    const minutes = Math.round(this.#windowMs / 60_000)
    for (let m = minutes; m >= 0; m--) {
      g.textAlign = m === 0 ? 'right' : 'center'
      g.fillText(m === 0 ? 'now' : `-${m} min`, m === 0 ? width - right : x(now - m * 60_000), height - 5)
    }
    g.textAlign = 'center'

    if (samples.length === 0) {
      g.fillText(this.root.dataset['history'] === 'loading' ? 'loading…' : 'no signal heard in this window', (left + width) / 2, height / 2)
      return
    }
    g.strokeStyle = '#38bdf8'
    g.fillStyle = '#38bdf8'
    g.lineWidth = 1.5
    g.beginPath()
    let previous: Sample | undefined
    for (const sample of samples) {
      // A gap of more than two steps is silence, not a slope.
      if (previous && sample.t - previous.t <= 2 * this.#stepMs) g.lineTo(x(sample.t), y(sample.dbm))
      else g.moveTo(x(sample.t), y(sample.dbm))
      previous = sample
    }
    g.stroke()
    for (const sample of samples) {
      g.beginPath()
      g.arc(x(sample.t), y(sample.dbm), 2, 0, Math.PI * 2)
      g.fill()
    }
  }
}

const FIELDS: Array<[string, string]> = [
  ['mac', 'MAC'],
  ['sensor', 'Sensor'],
  ['type', 'Type'],
  ['ssid', 'SSID'],
  ['manufacturer', 'Manufacturer'],
  ['channel', 'Channel'],
  ['encryption', 'Encryption'],
  ['signal', 'Signal'],
  ['packets', 'Packets'],
  ['data', 'Data'],
  ['firstSeen', 'First heard'],
  ['lastSeen', 'Last heard'],
  ['clients', 'Clients'],
  ['bssid', 'BSSID'],
  ['location', 'Location'],
  ['key', 'Kismet key'],
]
