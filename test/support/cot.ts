// Cursor-on-Target events read back the way a TAK client would: parsed by a real XML parser
// (fast-xml-parser) and held against the rules of the MITRE CoT base event (TAK-COT.md 1):
// one well-formed <event> and nothing else, version 2.0, required attributes, ISO-8601 UTC
// times in order, a <point> with every attribute in range.
import { XMLParser, XMLValidator } from 'fast-xml-parser'

export interface ParsedCot {
  event: Record<string, string>
  point: Record<string, string>
  /** detail's children by name (attributes, or `#text` for text content). */
  detail: Record<string, Record<string, string> | string>
  /** detail's child element names, in order. */
  detailNames: string[]
}

const objects = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, parseTagValue: false, trimValues: false })
const ordered = new XMLParser({ ignoreAttributes: false, preserveOrder: true, trimValues: false })

/** Characters XML 1.0 forbids (and the C1 controls the builder removes too). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/u
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const TYPE = /^\w+(-\w+)*$/
const HOW = /^[hm](-\w+)*$/
const DECIMAL = /^-?\d+(\.\d+)?$/

type Node = Record<string, unknown>

function topLevel(xml: string): string[] {
  return (ordered.parse(xml) as Node[]).flatMap((node) => Object.keys(node).filter((key) => key !== ':@'))
}

/** Every way `xml` breaks the base-event rules (empty: none). */
export function cotProblems(xml: string): string[] {
  const problems: string[] = []
  const valid = XMLValidator.validate(xml)
  if (valid !== true) return [`not well-formed: ${valid.err.msg}`]
  if (NOT_XML.test(xml)) problems.push('a character XML 1.0 forbids')
  if (xml.startsWith('<?xml')) problems.push('an XML declaration (streams and ATAK want bare events)')
  if (xml !== xml.trim()) problems.push('white space around the event')
  const roots = topLevel(xml)
  if (roots.length !== 1 || roots[0] !== 'event') return [...problems, `top level is ${JSON.stringify(roots)}, not one <event>`]
  const { event, point } = parseCot(xml)
  if (event['version'] !== '2.0') problems.push(`version ${event['version']}`)
  for (const name of ['uid', 'type', 'how', 'time', 'start', 'stale']) if (!event[name]) problems.push(`no ${name}`)
  if (event['type'] !== undefined && !TYPE.test(event['type'])) problems.push(`type ${event['type']}`)
  if (event['how'] !== undefined && !HOW.test(event['how'])) problems.push(`how ${event['how']}`)
  for (const name of ['time', 'start', 'stale']) if (event[name] !== undefined && !ISO_UTC.test(event[name]!)) problems.push(`${name} ${event[name]} is not ISO-8601 UTC`)
  const [time, start, stale] = ['time', 'start', 'stale'].map((name) => Date.parse(event[name] ?? ''))
  if (!(start! <= stale!)) problems.push('stale before start')
  if (!(time! <= stale!)) problems.push('stale before time')
  for (const name of ['lat', 'lon', 'hae', 'ce', 'le']) {
    const value = point[name]
    if (value === undefined) problems.push(`point without ${name}`)
    else if (!DECIMAL.test(value)) problems.push(`point ${name}="${value}" is not a decimal`)
  }
  const lat = Number(point['lat'])
  const lon = Number(point['lon'])
  if (!(lat >= -90 && lat <= 90)) problems.push(`lat ${lat} out of range`)
  if (!(lon >= -180 && lon <= 180)) problems.push(`lon ${lon} out of range`)
  if (!(Number(point['ce']) > 0)) problems.push('ce not above 0 (0 means exact)')
  if (!(Number(point['le']) > 0)) problems.push('le not above 0')
  return problems
}

export function parseCot(xml: string): ParsedCot {
  const root = objects.parse(xml) as { event?: Node }
  const event = root.event ?? {}
  const attributes: Record<string, string> = {}
  for (const [key, value] of Object.entries(event)) if (typeof value === 'string') attributes[key] = value
  const detail = (event['detail'] ?? {}) as ParsedCot['detail']
  const detailNode = ((ordered.parse(xml) as Node[])[0]?.['event'] as Node[] | undefined)?.find((node) => 'detail' in node)
  const detailNames = ((detailNode?.['detail'] as Node[] | undefined) ?? []).flatMap((node) => Object.keys(node).filter((key) => key !== ':@'))
  return { event: attributes, point: (event['point'] ?? {}) as Record<string, string>, detail: typeof detail === 'object' ? detail : {}, detailNames }
}

/** The events in a TCP/TLS stream: bare <event>s back to back, split as TAK servers split them (on </event>). */
export function splitStream(text: string): { events: string[]; rest: string } {
  const events: string[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('</event>')
    if (end < 0) break
    events.push(rest.slice(0, end + '</event>'.length))
    rest = rest.slice(end + '</event>'.length)
  }
  return { events, rest }
}
