// Which devices an export holds: the chosen sensors' tables (every sensor by default), those
// matching a filter, taken at one moment (references only: the rows are written out later,
// chunk by chunk, while the tables go on changing), in configuration and table order.
import { compileFilter, parseFilter } from '../device-filter.js'
import type { DeviceFilter } from '../events.js'
import type { DeviceTables } from '../sensors.js'
import type { ExportRow } from './formats.js'

export function selectRows(tables: DeviceTables, names: readonly string[] | null, filter: DeviceFilter | null): ExportRow[] {
  const matches = filter === null ? undefined : compileFilter(filter)
  const rows: ExportRow[] = []
  for (const sensor of tables.names()) {
    if (names !== null && !names.includes(sensor)) continue
    for (const device of tables.tableOf(sensor)) if (!matches || matches(device)) rows.push({ sensor, device })
  }
  return rows
}

/** The query parameters of an export: lists comma-separated or repeated, as REST callers write them. */
export interface ExportQuery {
  sensors?: string[]
  macs?: string[]
  ouis?: string[]
  ssid?: string
  types?: string[]
  minSignal?: number
  bands?: string[]
  channels?: string[]
  encryption?: string[]
  randomized?: boolean
}

const list = (values: string[] | undefined): string[] | undefined => {
  if (values === undefined) return undefined
  const items = values.flatMap((value) => value.split(',')).map((item) => item.trim()).filter((item) => item !== '')
  return items.length > 0 ? items : undefined
}

export type ParsedExportQuery = { ok: true; sensors: string[] | null; filter: DeviceFilter | null } | { ok: false; message: string }

/** The filter of an export's query, checked exactly as a subscription's (DeviceFilterSchema), and its sensors. */
export function parseExportQuery(query: ExportQuery, knownSensors: readonly string[]): ParsedExportQuery {
  const sensors = list(query.sensors) ?? null
  const unknown = sensors?.find((name) => !knownSensors.includes(name))
  if (unknown !== undefined) return { ok: false, message: `Unknown sensor ${JSON.stringify(unknown.slice(0, 64))}; sensors are ${knownSensors.join(', ')}` }
  const channels = list(query.channels)
  const candidate: Record<string, unknown> = {
    macs: list(query.macs),
    ouis: list(query.ouis),
    ssid: query.ssid,
    types: list(query.types),
    minSignal: query.minSignal,
    bands: list(query.bands),
    channels: channels?.map((channel) => (/^\d+$/.test(channel) ? Number(channel) : channel)),
    encryption: list(query.encryption),
    randomized: query.randomized,
  }
  for (const key of Object.keys(candidate)) if (candidate[key] === undefined) delete candidate[key]
  const parsed = parseFilter(candidate)
  if (!parsed.ok) return { ok: false, message: parsed.message }
  return { ok: true, sensors, filter: parsed.filter }
}
