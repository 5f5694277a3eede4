// The endpoints the simulator serves, each answering as the fixtures show (KISMET-API.md
// sections 3.1-3.6 for the semantics, test/fixtures/kismet for the exact shapes).
import type { Role } from './auth.js'
import type { FlavorProfile, ParseTarget } from './flavor.js'
import { canonicalDeviceKey, isMac, normalizeMac } from './ids.js'
import { isJsonObject, type JsonObject, type JsonValue } from './json.js'
import {
  DeviceFieldWriter,
  deviceValue,
  parseFields,
  resolveAll,
  simplifyRecord,
  type FieldSpec,
} from './fields.js'
import { notFoundPage } from './pages.js'
import { renderDevice, type DeviceRenderContext } from './render-device.js'
import { renderAllGps, renderAllLocations, renderGpsLocation, type SimGps } from './render-gps.js'
import { renderAlert, renderDatasource, renderStatus, renderTimestamp, renderViews, secondsOf, microsOf } from './render-system.js'
import type { Reply } from './reply.js'
import type { DeviceEntry, DeviceStore } from './store.js'
import type { SimAlert, SimDatasource } from './types.js'

/** What the endpoints read from the simulator. */
export interface SimBackend {
  readonly profile: FlavorProfile
  readonly store: DeviceStore
  readonly serverUuid: string
  readonly serverName: string
  nowMs(): number
  startSec(): number
  alertList(): readonly SimAlert[]
  datasourceList(): readonly SimDatasource[]
  /** A render context for one request (the seenby datasource record is built once, lazily). */
  deviceContext(): DeviceRenderContext
  openConnections(): number
  /** Devices that are not in the table, for the `huge` fault's filler. */
  fakeDevices(): Iterator<DeviceEntry>
  /** The GPS and its UUID, or null when the simulated Kismet has none. */
  gps(): { position: SimGps; uuid: string } | null
}

export interface RouteContext {
  backend: SimBackend
  reply: Reply
  params: Record<string, string>
  command: JsonObject | null
  vars: Map<string, string>
  /** The request path without the prefix (for 404 pages). */
  path: string
  role: Role | null
}

export type Access = 'none' | 'login' | 'admin'

export interface Route {
  /** The path pattern, also the key of stats.byPath. */
  pattern: string
  segments: string[]
  methods: readonly string[]
  access: Access
  contentType: 'application/json' | 'text/plain'
  handle(ctx: RouteContext): Promise<void>
}

const GET = ['GET'] as const
const GET_POST = ['GET', 'POST'] as const
const POST = ['POST'] as const

function route(pattern: string, methods: readonly string[], access: Access, handle: Route['handle']): Route {
  return {
    pattern,
    segments: pattern.split('/').filter((segment) => segment !== ''),
    methods,
    access,
    contentType: pattern.endsWith('.json') ? 'application/json' : 'text/plain',
    handle,
  }
}

/** Path parameters of `route` for these segments, or null when the route does not match. */
export function matchRoute(candidate: Route, segments: readonly string[]): Record<string, string> | null {
  if (candidate.segments.length !== segments.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const expected = candidate.segments[i] as string
    const actual = segments[i] as string
    if (expected.startsWith('{') && expected.endsWith('}')) {
      try {
        params[expected.slice(1, -1)] = decodeURIComponent(actual)
      } catch {
        return null
      }
    } else if (expected !== actual) return null
  }
  return params
}

// ---------------------------------------------------------------------------------------
// Parsing URL pieces the way Kismet does, and its 500 answers.

class HandlerError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(body)
  }
}

function parseFailure(ctx: RouteContext, value: string, target: ParseTarget): HandlerError {
  return new HandlerError(500, ctx.backend.profile.parseError(value, target))
}

function parseInteger(ctx: RouteContext, value: string): number {
  if (!/^-?\d+$/.test(value)) throw parseFailure(ctx, value, 'l')
  return Number(value)
}

function parseDouble(ctx: RouteContext, value: string): number {
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(value)) throw parseFailure(ctx, value, 'd')
  return Number(value)
}

function requireFields(ctx: RouteContext): FieldSpec[] | null {
  const parsed = parseFields(ctx.command)
  if (!parsed.ok) throw new HandlerError(500, `ERROR: ${parsed.reason}\n`)
  return parsed.fields
}

interface RegexFilter {
  path: string
  pattern: RegExp
}

/** `regex`: [[path, pcre], ...]; a device matches when any pair matches any string it reaches. */
function requireRegex(ctx: RouteContext): RegexFilter[] | null {
  const value = ctx.command?.['regex']
  if (value === undefined) return null
  if (!Array.isArray(value)) throw new HandlerError(400, 'Invalid request: regex must be an array of [field, regex] pairs\n')
  return value.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new HandlerError(400, 'Invalid request: regex must be an array of [field, regex] pairs\n')
    }
    try {
      return { path: pair[0], pattern: new RegExp(pair[1]) }
    } catch (error) {
      throw new HandlerError(400, `Invalid regex: ${(error as Error).message}\n`)
    }
  })
}

function matchesRegex(entry: DeviceEntry, filters: readonly RegexFilter[], ctx: DeviceRenderContext): boolean {
  let full: JsonObject | undefined
  const record = (): JsonObject => (full ??= renderDevice(entry, ctx))
  return filters.some((filter) => {
    const values = filter.path.includes('/') ? resolveAll(record(), filter.path) : [deviceValue(entry, filter.path, ctx, record)]
    return values.some((value) => typeof value === 'string' && filter.pattern.test(value))
  })
}

// ---------------------------------------------------------------------------------------
// Devices

/** The serialised records of `entries`, simplified when `fields` is given. */
function* deviceItems(entries: Iterable<DeviceEntry>, fields: FieldSpec[] | null, ctx: DeviceRenderContext): Generator<string> {
  if (fields === null) {
    for (const entry of entries) yield JSON.stringify(renderDevice(entry, ctx))
    return
  }
  const writer = new DeviceFieldWriter(fields, ctx)
  for (const entry of entries) yield writer.json(entry)
}

function setDeviceFiller(reply: Reply, backend: SimBackend, fields: FieldSpec[] | null, ctx: DeviceRenderContext): void {
  reply.filler = () => deviceItems({ [Symbol.iterator]: () => backend.fakeDevices() }, fields, ctx)
}

async function sendDevices(ctx: RouteContext, entries: Iterable<DeviceEntry>, fields: FieldSpec[] | null, render: DeviceRenderContext): Promise<void> {
  setDeviceFiller(ctx.reply, ctx.backend, fields, render)
  await ctx.reply.jsonArray(deviceItems(entries, fields, render))
}

/** Is this device in view `id`? null: no such view. */
function viewFilter(backend: SimBackend, id: string): ((entry: DeviceEntry) => boolean) | null {
  if (id === 'all' || id === 'phy-IEEE802.11') return () => true
  // Kismet's AP view holds devices whose dot11 typeset has the beacon-AP or ad-hoc bit.
  if (id === 'phydot11_accesspoints') return (entry) => /AP$/.test(entry.device.type) || entry.device.type === 'Wi-Fi Ad-Hoc'
  const sources = backend.datasourceList()
  if (id.startsWith('seenby-')) {
    const index = sources.findIndex((source) => `seenby-${source.uuid}` === id)
    if (index < 0) return null
    // Every simulated device is seen by the first source.
    return () => index === 0
  }
  const views = backend.profile.templates.allViews['views']
  const known = Array.isArray(views) && views.some((view) => isJsonObject(view) && view['kismet.devices.view.id'] === id)
  return known ? () => false : null
}

function* filterEntries(entries: Iterable<DeviceEntry>, keep: (entry: DeviceEntry) => boolean): Generator<DeviceEntry> {
  for (const entry of entries) if (keep(entry)) yield entry
}

function relativeSeconds(backend: SimBackend, ts: number): number {
  return ts < 0 ? secondsOf(backend.nowMs()) + ts : ts
}

/** GET|POST /devices/last-time/{ts}/devices.json: last_time > ts (strict), negative ts = now + ts. */
async function devicesSince(ctx: RouteContext): Promise<void> {
  const ts = relativeSeconds(ctx.backend, parseInteger(ctx, ctx.params['ts'] ?? ''))
  const fields = requireFields(ctx)
  const regex = requireRegex(ctx)
  const render = ctx.backend.deviceContext()
  let entries: Iterable<DeviceEntry> = ctx.backend.store.since(ts, false)
  if (regex !== null) entries = filterEntries(entries, (entry) => matchesRegex(entry, regex, render))
  await sendDevices(ctx, entries, fields, render)
}

/** GET|POST /devices/views/{view}/last-time/{ts}/devices.json: last_time >= ts; no paging (issue #456). */
async function viewDevicesSince(ctx: RouteContext): Promise<void> {
  const inView = viewFilter(ctx.backend, ctx.params['view'] ?? '')
  if (inView === null) return ctx.reply.page(404, notFoundPage(ctx.path))
  const ts = relativeSeconds(ctx.backend, parseInteger(ctx, ctx.params['ts'] ?? ''))
  const fields = requireFields(ctx)
  const regex = requireRegex(ctx)
  const render = ctx.backend.deviceContext()
  const entries = filterEntries(ctx.backend.store.since(ts, true), (entry) => inView(entry) && (regex === null || matchesRegex(entry, regex, render)))
  await sendDevices(ctx, entries, fields, render)
}

function numberVar(vars: Map<string, string>, ...names: string[]): number | null {
  for (const name of names) {
    const value = vars.get(name)
    if (value !== undefined && /^\d+$/.test(value)) return Number(value)
  }
  return null
}

function compareValues(a: JsonValue, b: JsonValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const left = typeof a === 'string' ? a : JSON.stringify(a)
  const right = typeof b === 'string' ? b : JSON.stringify(b)
  return left < right ? -1 : left > right ? 1 : 0
}

/**
 * GET|POST /devices/views/{view}/devices.json: the whole view, filtered by the body's
 * `last_time` (absolute, >=; 0 or negative disables it), `regex` and `search`, sorted by
 * `sort` (sort_dir inverted as on the real server: only "asc" sorts descending), and paged
 * by `page` + `length`/`size` into {data,last_page,last_row,total_row}.
 */
async function viewDevices(ctx: RouteContext): Promise<void> {
  const { backend, vars } = ctx
  const inView = viewFilter(backend, ctx.params['view'] ?? '')
  if (inView === null) return ctx.reply.page(404, notFoundPage(ctx.path))
  const fields = requireFields(ctx)
  const regex = requireRegex(ctx)
  const render = backend.deviceContext()
  const lastTime = ctx.command?.['last_time']
  const minTime = typeof lastTime === 'number' && lastTime > 0 ? lastTime : null

  const view: DeviceEntry[] = []
  for (const entry of backend.store.entries()) if (inView(entry)) view.push(entry)
  let rows = view
  if (minTime !== null) rows = rows.filter((entry) => entry.device.lastTime >= minTime)
  if (regex !== null) rows = rows.filter((entry) => matchesRegex(entry, regex, render))

  const search = vars.get('search')?.toLowerCase() ?? ''
  if (search !== '') {
    const writer = fields === null ? null : new DeviceFieldWriter(fields, render)
    rows = rows.filter((entry) => {
      const record = writer ? writer.object(entry) : renderDevice(entry, render)
      return Object.values(record).some((value) => typeof value === 'string' && value.toLowerCase().includes(search))
    })
  }

  const sort = vars.get('sort')
  if (sort !== undefined && sort !== '') {
    const direction = vars.get('sort_dir') === 'asc' ? -1 : 1
    const keyed = rows.map((entry) => ({ entry, value: deviceValue(entry, sort, render) }))
    keyed.sort((a, b) => direction * compareValues(a.value, b.value) || a.entry.seq - b.entry.seq)
    rows = keyed.map((item) => item.entry)
  }

  const length = numberVar(vars, 'length', 'size')
  if (length === null || length === 0) {
    await sendDevices(ctx, rows, fields, render)
    return
  }
  const page = numberVar(vars, 'page') ?? 0
  const slice = rows.slice(page * length, page * length + length)
  const after = `,"last_page": ${Math.ceil(rows.length / length)},"last_row": ${rows.length},"total_row": ${view.length}}`
  setDeviceFiller(ctx.reply, backend, fields, render)
  await ctx.reply.jsonArray(deviceItems(slice, fields, render), { before: '{"data": ', after })
}

function lookupKey(ctx: RouteContext, raw: string): DeviceEntry {
  const key = canonicalDeviceKey(raw)
  if (key === null) throw parseFailure(ctx, raw, '10device_key')
  const entry = ctx.backend.store.get(key)
  if (!entry) throw new HandlerError(500, 'ERROR: nonexistent device key\n')
  return entry
}

/** GET|POST /devices/by-key/{key}/device.json: one record; unknown key -> 500. */
async function deviceByKey(ctx: RouteContext): Promise<void> {
  const entry = lookupKey(ctx, ctx.params['key'] ?? '')
  const fields = requireFields(ctx)
  const render = ctx.backend.deviceContext()
  await ctx.reply.json(200, fields === null ? renderDevice(entry, render) : new DeviceFieldWriter(fields, render).object(entry))
}

/** GET|POST /devices/by-mac/{mac}/devices.json: an array (a MAC may exist in several phys). */
async function devicesByMac(ctx: RouteContext): Promise<void> {
  const raw = ctx.params['mac'] ?? ''
  if (!isMac(raw)) throw parseFailure(ctx, raw, '8mac_addr')
  const fields = requireFields(ctx)
  const key = ctx.backend.store.keyForMac(normalizeMac(raw))
  const entry = key === undefined ? undefined : ctx.backend.store.get(key)
  await sendDevices(ctx, entry ? [entry] : [], fields, ctx.backend.deviceContext())
}

/** POST /devices/multikey/devices.json: {"devices": [keys], "fields": ...}; unknown keys are skipped. */
async function devicesByKeys(ctx: RouteContext): Promise<void> {
  const keys = ctx.command?.['devices']
  if (!Array.isArray(keys)) throw new HandlerError(500, "ERROR: Missing 'devices' key in command dictionary\n")
  const fields = requireFields(ctx)
  const entries: DeviceEntry[] = []
  for (const raw of keys) {
    const key = typeof raw === 'string' ? canonicalDeviceKey(raw) : null
    const entry = key === null ? undefined : ctx.backend.store.get(key)
    if (entry) entries.push(entry)
  }
  await sendDevices(ctx, entries, fields, ctx.backend.deviceContext())
}

async function views(ctx: RouteContext): Promise<void> {
  const { backend } = ctx
  let accessPoints = 0
  const inApView = viewFilter(backend, 'phydot11_accesspoints')
  for (const entry of backend.store.entries()) if (inApView?.(entry)) accessPoints++
  const all = backend.store.size
  const seenBy = backend.datasourceList().map((source, index): [string, number] => [source.uuid, index === 0 ? all : 0])
  await sendRecords(ctx, renderViews(backend.profile, { all, accessPoints, seenBy }))
}

// ---------------------------------------------------------------------------------------
// Alerts, system, datasources

/** A list of small records, simplified when `fields` is given. */
async function sendRecords(ctx: RouteContext, records: readonly JsonValue[]): Promise<void> {
  const fields = requireFields(ctx)
  await ctx.reply.jsonArray(records.map((record) => JSON.stringify(fields === null ? record : simplifyRecord(record, fields))))
}

async function sendRecord(ctx: RouteContext, record: JsonObject): Promise<void> {
  const fields = requireFields(ctx)
  await ctx.reply.json(200, fields === null ? record : simplifyRecord(record, fields))
}

function alertRecords(ctx: RouteContext, keep: (alert: SimAlert) => boolean): JsonObject[] {
  return ctx.backend.alertList().filter(keep).map((alert) => renderAlert(ctx.backend.profile, alert))
}

async function allAlerts(ctx: RouteContext): Promise<void> {
  await sendRecords(ctx, alertRecords(ctx, () => true))
}

/** Alerts newer than an absolute sec.usec timestamp (negative is not relative: it matches all). */
function alertsSince(ctx: RouteContext): JsonObject[] {
  const ts = parseDouble(ctx, ctx.params['ts'] ?? '')
  return alertRecords(ctx, (alert) => alert.timestamp > ts)
}

async function alertsLastTime(ctx: RouteContext): Promise<void> {
  await sendRecords(ctx, alertsSince(ctx))
}

async function alertsWrapped(ctx: RouteContext): Promise<void> {
  const list = alertsSince(ctx)
  const fields = requireFields(ctx)
  const now = ctx.backend.nowMs()
  await ctx.reply.json(200, {
    'kismet.alert.list': fields === null ? list : list.map((record) => simplifyRecord(record, fields)),
    'kismet.alert.timestamp': secondsOf(now) + microsOf(now) / 1e6,
  })
}

async function alertById(ctx: RouteContext): Promise<void> {
  const raw = ctx.params['hash'] ?? ''
  if (!/^\d+$/.test(raw)) throw parseFailure(ctx, raw, 'j')
  const alert = ctx.backend.alertList().find((candidate) => candidate.hash === Number(raw))
  if (!alert) {
    await ctx.reply.text(404, '{}')
    return
  }
  await sendRecord(ctx, renderAlert(ctx.backend.profile, alert))
}

async function status(ctx: RouteContext): Promise<void> {
  const { backend } = ctx
  await sendRecord(
    ctx,
    renderStatus({
      profile: backend.profile,
      nowMs: backend.nowMs(),
      startSec: backend.startSec(),
      deviceCount: backend.store.size,
      serverUuid: backend.serverUuid,
      serverName: backend.serverName,
      httpConnections: backend.openConnections(),
    }),
  )
}

async function timestamp(ctx: RouteContext): Promise<void> {
  await sendRecord(ctx, renderTimestamp(ctx.backend.nowMs()))
}

async function datasources(ctx: RouteContext): Promise<void> {
  const { backend } = ctx
  const nowSec = secondsOf(backend.nowMs())
  await sendRecords(ctx, backend.datasourceList().map((source, index) => renderDatasource(backend.profile, source, index, nowSec)))
}

/** GET|POST /datasource/by-uuid/{uuid}/source.json: one source; a bad or unknown UUID is a 500 (datasourcetracker.cc). */
async function datasourceByUuid(ctx: RouteContext): Promise<void> {
  const { backend } = ctx
  const raw = ctx.params['uuid'] ?? ''
  if (!/^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(raw)) throw new HandlerError(500, 'ERROR: invalid uuid\n')
  const index = backend.datasourceList().findIndex((source) => source.uuid.toUpperCase() === raw.toUpperCase())
  const source = backend.datasourceList()[index]
  if (!source) throw new HandlerError(500, 'ERROR: no such datasource\n')
  await sendRecord(ctx, renderDatasource(backend.profile, source, index, secondsOf(backend.nowMs())))
}

// ---------------------------------------------------------------------------------------
// GPS

async function gpsLocation(ctx: RouteContext): Promise<void> {
  const gps = ctx.backend.gps()
  const now = ctx.backend.nowMs()
  await sendRecord(ctx, renderGpsLocation(gps?.position ?? null, gps?.uuid ?? '', secondsOf(now), microsOf(now)))
}

async function allGps(ctx: RouteContext): Promise<void> {
  const gps = ctx.backend.gps()
  await sendRecords(ctx, renderAllGps(gps?.position ?? null, gps?.uuid ?? '', ctx.backend.startSec()))
}

async function allLocations(ctx: RouteContext): Promise<void> {
  const gps = ctx.backend.gps()
  const now = ctx.backend.nowMs()
  await sendRecord(ctx, renderAllLocations(gps?.position ?? null, gps?.uuid ?? '', secondsOf(now), microsOf(now)))
}

// ---------------------------------------------------------------------------------------
// Session

async function checkSession(ctx: RouteContext): Promise<void> {
  await ctx.reply.text(200, 'Session valid\n')
}

async function checkLogin(ctx: RouteContext): Promise<void> {
  await ctx.reply.text(200, 'Login valid\n')
}

async function checkSetupOk(ctx: RouteContext): Promise<void> {
  await ctx.reply.text(200, 'Login configured in user config\n')
}

async function userStatus(ctx: RouteContext): Promise<void> {
  await ctx.reply.json(200, { 'kismet.system.user': 'kismet' })
}

export const ROUTES: readonly Route[] = [
  route('/session/check_session', GET, 'login', checkSession),
  route('/session/check_login', GET, 'admin', checkLogin),
  route('/session/check_setup_ok', GET, 'none', checkSetupOk),
  route('/system/user_status.json', GET, 'none', userStatus),
  route('/system/status.json', GET_POST, 'login', status),
  route('/system/timestamp.json', GET_POST, 'login', timestamp),
  route('/devices/last-time/{ts}/devices.json', GET_POST, 'login', devicesSince),
  route('/devices/views/all_views.json', GET, 'login', views),
  route('/devices/views/{view}/devices.json', GET_POST, 'login', viewDevices),
  route('/devices/views/{view}/last-time/{ts}/devices.json', GET_POST, 'login', viewDevicesSince),
  route('/devices/by-key/{key}/device.json', GET_POST, 'login', deviceByKey),
  route('/devices/by-mac/{mac}/devices.json', GET_POST, 'login', devicesByMac),
  route('/devices/multikey/devices.json', POST, 'login', devicesByKeys),
  route('/alerts/all_alerts.json', GET_POST, 'login', allAlerts),
  route('/alerts/last-time/{ts}/alerts.json', GET_POST, 'login', alertsLastTime),
  route('/alerts/wrapped/last-time/{ts}/alerts.json', GET_POST, 'login', alertsWrapped),
  route('/alerts/by-id/{hash}/alert.json', GET_POST, 'login', alertById),
  route('/datasource/all_sources.json', GET_POST, 'login', datasources),
  route('/datasource/by-uuid/{uuid}/source.json', GET_POST, 'login', datasourceByUuid),
  route('/gps/location.json', GET_POST, 'login', gpsLocation),
  route('/gps/all_gps.json', GET_POST, 'login', allGps),
  route('/gps/all_locations.json', GET_POST, 'login', allLocations),
]

/** Runs a route's handler, turning Kismet-style handler errors into their answers. */
export async function runRoute(target: Route, ctx: RouteContext): Promise<void> {
  try {
    await target.handle(ctx)
  } catch (error) {
    if (!(error instanceof HandlerError)) throw error
    await ctx.reply.text(error.status, error.body)
  }
}

