// The alerts feed: Kismet's alerts (alert:new, and alert:snapshot where the service sends the
// backlog), and watch-list events where the service has them, newest first, the last
// MAX_ITEMS kept. Envelope types this page does not know are read defensively: a field
// missing or of another type leaves an item out, never breaks the feed.
import type { Alert, AnyEnvelope } from '../../src/events.js'
import { el } from './dom.js'
import { clockTime } from './format.js'

const MAX_ITEMS = 200

interface FeedItem {
  id: string
  time: number
  severity: string
  title: string
  message: string
  sensor: string
}

type Loose = Record<string, unknown>

const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

export class AlertFeed {
  readonly root: HTMLElement
  readonly #list: HTMLOListElement
  readonly #empty: HTMLParagraphElement
  readonly #seen = new Set<string>()
  #pending: FeedItem[] = []

  constructor() {
    this.#list = el('ol', { class: 'feed' })
    this.#empty = el('p', { class: 'note', text: 'No alert yet.' })
    this.root = el('section', { class: 'alerts', attrs: { 'aria-label': 'Alerts' } }, el('h2', { text: 'Alerts' }), this.#empty, this.#list)
  }

  /** Takes what an envelope says for the feed; true when it was a feed event. */
  apply(envelope: AnyEnvelope): boolean {
    const type = envelope.type as string
    const sensor = envelope.sensor ?? ''
    const data: unknown = envelope.data
    if (type === 'alert:new' && isObject(data)) {
      this.#addAlert(data['alert'], sensor)
      return true
    }
    if (type === 'alert:snapshot' && isObject(data) && Array.isArray(data['alerts'])) {
      for (const alert of data['alerts']) this.#addAlert(alert, sensor)
      return true
    }
    if ((type === 'watch:found' || type === 'watch:lost') && isObject(data)) {
      this.#addWatch(type === 'watch:found' ? 'found' : 'lost', data, sensor, envelope.timestamp, envelope.id)
      return true
    }
    return false
  }

  /** Once per frame: what came since goes on top. */
  render(): void {
    if (this.#pending.length === 0) return
    const items = this.#pending.sort((a, b) => a.time - b.time)
    this.#pending = []
    for (const item of items) this.#list.prepend(this.#itemElement(item))
    while (this.#list.childElementCount > MAX_ITEMS) this.#list.lastElementChild?.remove()
    this.#empty.hidden = true
  }

  #addAlert(value: unknown, sensor: string): void {
    if (!isObject(value)) return
    const alert = value as Partial<Alert>
    const id = `${sensor}\u0000alert\u0000${String(alert.id)}`
    if (this.#seen.has(id)) return
    this.#remember(id)
    this.#pending.push({
      id,
      time: typeof alert.timestamp === 'number' ? alert.timestamp : Date.now(),
      severity: text(alert.severity) ?? 'low',
      title: text(alert.header) ?? 'alert',
      message: text(alert.message) ?? '',
      sensor,
    })
  }

  #addWatch(what: 'found' | 'lost', data: Loose, sensor: string, time: number, id: string): void {
    const entry = isObject(data['entry']) ? data['entry'] : {}
    const device = isObject(data['device']) ? data['device'] : {}
    const label = text(entry['label']) ?? text(entry['value']) ?? text(entry['mac']) ?? text(entry['ssid']) ?? 'watch-list entry'
    const who = [text(device['name']), text(device['mac'])].filter(Boolean).join(' ')
    this.#remember(id)
    this.#pending.push({ id, time, severity: what === 'found' ? 'medium' : 'low', title: `watch ${what}: ${label}`, message: who, sensor })
  }

  #remember(id: string): void {
    this.#seen.add(id)
    // The feed shows the last MAX_ITEMS; remembering far more ids than that buys nothing.
    if (this.#seen.size > MAX_ITEMS * 5) for (const old of [...this.#seen].slice(0, MAX_ITEMS)) this.#seen.delete(old)
  }

  #itemElement(item: FeedItem): HTMLLIElement {
    return el(
      'li',
      { class: `alert sev-${/^(low|medium|high)$/.test(item.severity) ? item.severity : 'low'}` },
      el('div', { class: 'alert-head' }, el('span', { class: 'alert-title', text: item.title }), el('time', { text: clockTime(item.time) })),
      el('p', { class: 'alert-message', text: item.message }),
      ...(item.sensor ? [el('span', { class: 'alert-sensor', text: item.sensor })] : []),
    )
  }
}
