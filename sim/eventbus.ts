// Kismet's eventbus websocket, /eventbus/events.ws, as the simulator serves it (KISMET-API.md
// 5.1; the captures in test/fixtures/kismet/eventbus/ and gps/eventbus_gps_location.json;
// Kismet's eventbus.cc for what the captures do not show). The upgrade itself (path, auth,
// refusals) is sim/http.ts's; from the open socket on, this module behaves as Kismet does:
// - text JSON commands `{"SUBSCRIBE": topic, "fields"?, "format"?}` / `{"UNSUBSCRIBE": topic}`,
//   one subscription per topic (again: replaced), `"*"` for every topic; no acknowledgement
//   and no error reply; invalid JSON ignored; a command that is JSON but not an object, or
//   a SUBSCRIBE/UNSUBSCRIBE/format that is not a string, ends the connection (Kismet's
//   handler throws and closes); a binary frame closes the socket;
// - one text frame per event and listener, `{"<TOPIC>": value}` with the subscription's
//   `fields` applied to the value (a field it lacks is 0) and `format: ekjson` renaming dots
//   in keys to underscores; a socket subscribed to a topic and to `*` gets it twice;
// - unknown topics are accepted and never fire; invalid `fields` make that topic silent
//   (Kismet's dispatcher logs the serialisation error and drops the frame).
// Frames are written in Kismet's JSON layout (`{"k": v,"k2": v2}`, `[a, b]`), so their sizes
// match the captures. Scriptable: stall (nothing sent, TIMESTAMP included), garbage (every
// frame replaced by bytes that are not JSON), refuse (the upgrade answered with a status),
// drop (every connection cut).
import type { Duplex } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { WebSocketServer, type WebSocket } from 'ws'
import { parseFields, simplifyRecord, type FieldSpec } from './fields.js'
import type { JsonValue } from './json.js'
import { isJsonObject } from './json.js'

/** One event's value, `fields` applied (null: the whole record). */
export type EventValue = (fields: readonly FieldSpec[] | null) => JsonValue

/** A record's EventValue: `fields` resolved over it (over a bare value such as a UUID string, every field is 0). */
export function recordValue(record: JsonValue): EventValue {
  return (fields) => (fields === null ? record : simplifyRecord(record, fields))
}

export type SimEventbusFault =
  /** The upgrade is answered with this HTTP status (401 and 404 with Kismet's pages). */
  | { kind: 'refuse'; status: number }
  /**
   * Open sockets stay open and new ones are accepted, but nothing is sent (TIMESTAMP
   * included): frames wait in each socket's queue, as in a Kismet whose dispatcher is stuck,
   * and go out when the fault is cleared (if the socket is still open then).
   */
  | { kind: 'stall' }
  /** Every frame is replaced by bytes that are not JSON. */
  | { kind: 'garbage' }

interface Subscription {
  /** null: whole records; 'invalid': a `fields` Kismet cannot apply (the topic stays silent). */
  fields: FieldSpec[] | null | 'invalid'
  ekjson: boolean
}

export interface SimEventbusStats {
  /** Upgrades accepted. */
  connections: number
  frames: number
  bytes: number
}

/** Kismet's JSON layout: `": "` after a key, `","` between members, `", "` between array items. */
export function kismetJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(kismetJson).join(', ')}]`
  if (isJsonObject(value)) return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${kismetJson(item)}`).join(',')}}`
  return JSON.stringify(value)
}

function ekjsonKeys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(ekjsonKeys)
  if (!isJsonObject(value)) return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replaceAll('.', '_'), ekjsonKeys(item)]))
}

export class SimEventbus {
  readonly stats: SimEventbusStats = { connections: 0, frames: 0, bytes: 0 }
  readonly #server = new WebSocketServer({ noServer: true, perMessageDeflate: false })
  readonly #clients = new Map<WebSocket, Map<string, Subscription>>()
  /** Frames held back by a stall, per socket, in order. */
  readonly #held = new Map<WebSocket, string[]>()
  #fault: SimEventbusFault | null = null
  #garbageCount = 0

  /** Open eventbus connections. */
  get clients(): number {
    return this.#clients.size
  }

  /** The status an upgrade is refused with now, if any. */
  refusal(): number | null {
    return this.#fault?.kind === 'refuse' ? this.#fault.status : null
  }

  setFault(fault: SimEventbusFault | null): void {
    this.#fault = fault
    if (fault?.kind === 'stall') return
    const held = [...this.#held]
    this.#held.clear()
    for (const [ws, frames] of held) for (const text of frames) this.#send(ws, text)
  }

  /** Sockets subscribed to `topic` (directly or with `*`). */
  subscribers(topic: string): number {
    let count = 0
    for (const subscriptions of this.#clients.values()) if (subscriptions.has(topic) || subscriptions.has('*')) count += 1
    return count
  }

  /** Takes over an authenticated upgrade request. */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      this.stats.connections += 1
      const subscriptions = new Map<string, Subscription>()
      this.#clients.set(ws, subscriptions)
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          ws.close()
          return
        }
        this.#command(ws, subscriptions, Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'))
      })
      const forget = () => {
        this.#clients.delete(ws)
        this.#held.delete(ws)
      }
      ws.on('close', forget)
      ws.on('error', forget)
    })
  }

  /** Sends one event to every socket listening to `topic` (or to `*`). */
  publish(topic: string, value: EventValue): void {
    if (this.#clients.size === 0) return
    const rendered = new Map<string, string>()
    for (const [ws, subscriptions] of this.#clients) {
      // Kismet calls the topic's listeners, then the `*` listeners: both, when a socket has both.
      for (const subscription of [subscriptions.get(topic), subscriptions.get('*')]) {
        if (subscription === undefined || subscription.fields === 'invalid') continue
        const cacheKey = `${subscription.ekjson ? 'ek' : ''}${JSON.stringify(subscription.fields)}`
        let text = rendered.get(cacheKey)
        if (text === undefined) {
          let record = value(subscription.fields)
          if (subscription.ekjson) record = ekjsonKeys(record)
          text = kismetJson({ [topic]: record })
          rendered.set(cacheKey, text)
        }
        if (this.#fault?.kind === 'stall') {
          let held = this.#held.get(ws)
          if (!held) this.#held.set(ws, (held = []))
          held.push(text)
        } else this.#send(ws, this.#fault?.kind === 'garbage' ? this.#garbage() : text)
      }
    }
  }

  /** Cuts every connection at once (no close frame), as a Kismet that dies does. */
  drop(): void {
    for (const ws of [...this.#clients.keys()]) ws.terminate()
    this.#clients.clear()
    this.#held.clear()
  }

  close(): void {
    this.drop()
    this.#server.close()
  }

  #send(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return
    this.stats.frames += 1
    this.stats.bytes += Buffer.byteLength(text)
    ws.send(text)
  }

  #garbage(): string {
    this.#garbageCount += 1
    return `<<garbage ${this.#garbageCount}>> {"TIMESTAMP": `
  }

  #command(ws: WebSocket, subscriptions: Map<string, Subscription>, text: string): void {
    let command: unknown
    try {
      command = JSON.parse(text)
    } catch {
      return // Kismet logs "could not parse JSON message" and carries on
    }
    if (command === null) return
    if (!isJsonObject(command)) {
      // nlohmann's operator[] on a non-object throws inside Kismet's handler: the socket closes.
      ws.close()
      return
    }
    const { SUBSCRIBE: subscribe, UNSUBSCRIBE: unsubscribe, format } = command
    const present = (value: unknown) => value !== undefined && value !== null
    if ((present(format) && typeof format !== 'string') || (present(subscribe) && typeof subscribe !== 'string') || (present(unsubscribe) && typeof unsubscribe !== 'string')) {
      ws.close()
      return
    }
    if (typeof subscribe === 'string') {
      const parsed = parseFields(command)
      subscriptions.set(subscribe, { fields: parsed.ok ? parsed.fields : 'invalid', ekjson: format === 'ekjson' })
    }
    if (typeof unsubscribe === 'string') subscriptions.delete(unsubscribe)
  }
}
