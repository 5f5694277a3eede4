// The status strip: this page's link to the service, then Kismet per sensor (state, version,
// devices, and the eventbus where the service reports one), the TAK outputs where the service
// has them, and the Socket.IO clients. It merges three sources: the `connected` greeting,
// system:status envelopes, and GET /status (read every STATUS_POLL_MS). Fields beyond the
// contract are read defensively: absent or of another shape, they are not shown.
import type { StatusResponse } from '../../src/api-schemas.js'
import type { AnyEnvelope, ConnectedData } from '../../src/events.js'
import { el, setText } from './dom.js'
import { ago, count } from './format.js'

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'token' | 'stopping' | 'unreachable'

const LINK_TEXT: Record<LinkState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  token: 'needs the API token',
  stopping: 'service stopping',
  unreachable: 'service unreachable',
}

interface SensorView {
  name: string
  state: string
  version?: string
  lastPoll?: number
  eventbus?: string
}

interface OutputView {
  name: string
  state: string
}

type Loose = Record<string, unknown>
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** An eventbus state as a status entry may carry it: `eventbus: 'connected'` or `eventbus: { state }`. */
function eventbusOf(entry: Loose): string | undefined {
  const value = entry['eventbus']
  return text(value) ?? (isObject(value) ? text(value['state']) : undefined)
}

/** TAK outputs as /status may carry them: `tak: { outputs: [...] }`, `tak: [...]` or `tak: { <name>: { state } }`. */
function outputsOf(data: Loose): OutputView[] {
  const tak = data['tak']
  const list: unknown[] = Array.isArray(tak)
    ? tak
    : isObject(tak) && Array.isArray(tak['outputs'])
      ? tak['outputs']
      : isObject(tak)
        ? Object.entries(tak).flatMap(([name, value]) => (isObject(value) ? [{ name, ...value }] : []))
        : []
  return list.flatMap((item) => {
    if (!isObject(item)) return []
    const name = text(item['name']) ?? text(item['kind']) ?? text(item['type']) ?? text(item['output'])
    const state = text(item['state']) ?? text(item['status'])
    return name !== undefined && state !== undefined ? [{ name, state }] : []
  })
}

function polled(lastPoll: number, now: number): string {
  const since = ago(lastPoll, now)
  return since === 'now' ? 'polled just now' : `polled ${since} ago`
}

export class StatusStrip {
  readonly root: HTMLElement
  readonly #link: HTMLSpanElement
  readonly #sensors: HTMLUListElement
  readonly #outputs: HTMLUListElement
  readonly #clients: HTMLSpanElement
  readonly #sensorViews = new Map<string, SensorView>()
  #outputViews: OutputView[] = []
  #clientCount: number | undefined
  #deviceCounts = new Map<string, number>()
  #dirty = true
  #linkState: LinkState = 'connecting'

  constructor() {
    this.#link = el('span', { class: 'link', data: { state: 'connecting' }, text: LINK_TEXT.connecting })
    this.#sensors = el('ul', { class: 'sensors', attrs: { 'aria-label': 'Sensors' } })
    this.#outputs = el('ul', { class: 'outputs', attrs: { 'aria-label': 'TAK outputs' } })
    this.#clients = el('span', { class: 'clients' })
    this.root = el('div', { class: 'strip', attrs: { role: 'status' } }, this.#link, this.#sensors, this.#outputs, this.#clients)
  }

  get linkState(): LinkState {
    return this.#linkState
  }

  get sensorNames(): string[] {
    return [...this.#sensorViews.keys()]
  }

  setLink(state: LinkState, detail?: string): void {
    this.#linkState = state
    this.#link.dataset['state'] = state
    setText(this.#link, detail ? `${LINK_TEXT[state]}: ${detail}` : LINK_TEXT[state])
  }

  greeted(hello: ConnectedData): void {
    const names = new Set(hello.sensors.map((s) => s.name))
    for (const name of [...this.#sensorViews.keys()]) if (!names.has(name)) this.#sensorViews.delete(name)
    for (const { name, state } of hello.sensors) this.#sensor(name).state = state
    this.#dirty = true
  }

  /** Takes what a system:status says; true when it was one. */
  apply(envelope: AnyEnvelope): boolean {
    if (envelope.type !== 'system:status' || envelope.sensor === undefined) return false
    const { kismet, service } = envelope.data
    const view = this.#sensor(envelope.sensor)
    view.state = kismet.state
    if (kismet.version !== undefined) view.version = kismet.version
    if (kismet.lastPoll !== undefined) view.lastPoll = kismet.lastPoll
    const eventbus = eventbusOf(envelope.data as unknown as Loose)
    if (eventbus !== undefined) view.eventbus = eventbus
    this.#clientCount = service.clients
    this.#dirty = true
    return true
  }

  /** What GET /status says. */
  polled(status: StatusResponse): void {
    const data = status.data as unknown as Loose
    const sensors = Array.isArray(data['sensors']) ? data['sensors'] : []
    for (const entry of sensors) {
      if (!isObject(entry) || text(entry['name']) === undefined) continue
      const view = this.#sensor(entry['name'] as string)
      view.state = text(entry['state']) ?? view.state
      const version = text(entry['version'])
      if (version !== undefined) view.version = version
      if (typeof entry['lastPoll'] === 'number') view.lastPoll = entry['lastPoll']
      const eventbus = eventbusOf(entry)
      if (eventbus !== undefined) view.eventbus = eventbus
    }
    this.#outputViews = outputsOf(data)
    const websocket = data['websocket']
    if (isObject(websocket) && typeof websocket['clients'] === 'number') this.#clientCount = websocket['clients']
    this.#dirty = true
  }

  setDeviceCounts(bySensor: ReadonlyMap<string, number>): void {
    let same = bySensor.size === this.#deviceCounts.size
    if (same) for (const [name, n] of bySensor) if (this.#deviceCounts.get(name) !== n) same = false
    if (same) return
    this.#deviceCounts = new Map(bySensor)
    this.#dirty = true
  }

  render(now: number): void {
    if (!this.#dirty) return
    this.#dirty = false
    this.#sensors.replaceChildren(
      ...[...this.#sensorViews.values()].map((view) => {
        const details = [
          view.version === undefined ? undefined : `Kismet ${view.version}`,
          `${count(this.#deviceCounts.get(view.name) ?? 0)} devices`,
          view.lastPoll === undefined ? undefined : polled(view.lastPoll, now),
        ].filter((d): d is string => d !== undefined)
        return el(
          'li',
          { class: 'sensor', data: { sensor: view.name, state: view.state }, title: details.join(' · ') },
          el('span', { class: 'dot' }),
          el('span', { class: 'sensor-name', text: view.name }),
          el('span', { class: 'sensor-state', text: view.state }),
          ...(view.eventbus === undefined ? [] : [el('span', { class: 'sensor-eventbus', data: { state: view.eventbus }, text: `eventbus ${view.eventbus}` })]),
          el('span', { class: 'sensor-devices', text: `${count(this.#deviceCounts.get(view.name) ?? 0)} devices` }),
        )
      }),
    )
    this.#outputs.replaceChildren(
      ...this.#outputViews.map((output) =>
        el('li', { class: 'output', data: { state: output.state } }, el('span', { class: 'dot' }), el('span', { text: `TAK ${output.name}` }), el('span', { class: 'output-state', text: output.state })),
      ),
    )
    this.#outputs.hidden = this.#outputViews.length === 0
    setText(this.#clients, this.#clientCount === undefined ? '' : `${count(this.#clientCount)} client${this.#clientCount === 1 ? '' : 's'}`)
  }

  #sensor(name: string): SensorView {
    let view = this.#sensorViews.get(name)
    if (!view) this.#sensorViews.set(name, (view = { name, state: 'connecting' }))
    return view
  }
}
