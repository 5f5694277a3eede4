// Reading a request the way Kismet's httpd does (KISMET-API.md 2.1): the command dictionary
// comes from a POST body only when the Content-Type is one of the four exact strings Kismet
// compares against (case-insensitively); any other body is silently ignored. Form bodies
// carry the command as `json=<urlencoded JSON>` plus optional plain variables, which are
// merged with the query string; a `json=` that does not parse is ignored too.
import type { IncomingMessage } from 'node:http'
import { isJsonObject, type JsonObject } from './json.js'

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8'])
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8'])

export type BodyKind = 'form' | 'json' | null

/** Which body Kismet would read for this Content-Type; null means "ignored". */
export function bodyKind(contentType: string | undefined): BodyKind {
  if (contentType === undefined) return null
  const normalized = contentType.toLowerCase()
  if (FORM_TYPES.has(normalized)) return 'form'
  if (JSON_TYPES.has(normalized)) return 'json'
  return null
}

export interface KismetCommand {
  /** The command dictionary (fields, regex, last_time, devices ...), or null. */
  command: JsonObject | null
  /** Query variables merged with form variables (page, length, sort ...). */
  vars: Map<string, string>
}

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text)
    return isJsonObject(value) ? value : null
  } catch {
    return null
  }
}

export function parseCommand(method: string, contentType: string | undefined, body: Buffer, query: URLSearchParams): KismetCommand {
  const vars = new Map<string, string>()
  for (const [name, value] of query) vars.set(name, value)
  if (method !== 'POST' || body.length === 0) return { command: null, vars }
  const kind = bodyKind(contentType)
  if (kind === 'json') return { command: parseObject(body.toString('utf8')), vars }
  if (kind !== 'form') return { command: null, vars }
  const form = new URLSearchParams(body.toString('utf8'))
  let command: JsonObject | null = null
  for (const [name, value] of form) {
    if (name === 'json') command = parseObject(value)
    else vars.set(name, value)
  }
  return { command, vars }
}

/** The whole request body (Kismet reads bodies of up to 100 000 bytes; we do not enforce that). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
