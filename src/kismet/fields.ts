// Kismet's `fields` simplification (KISMET-API.md 2.2), done locally: resolve each path of a
// field list against a full record, the way Kismet answers a request that names `fields`.
// Used to turn full records (fixtures, eventbus NEW_DEVICE payloads) into the shape our
// requests get, e.g. to feed them to the mapping or to a simulator.
import type { FieldSpec } from './wire.js'

/** The output key of a field spec: the alias, or the last path segment. */
export function fieldKey(spec: FieldSpec): string {
  if (typeof spec !== 'string') return spec[1]
  const segments = spec.split('/')
  return segments[segments.length - 1] ?? spec
}

/**
 * The value at a `/`-separated path of flat dotted keys (never split on `.`), or Kismet's
 * placeholder `0` when any segment is missing or passes through a non-object.
 */
export function resolveFieldPath(record: unknown, path: string): unknown {
  let node: unknown = record
  for (const segment of path.split('/')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return 0
    if (!Object.prototype.hasOwnProperty.call(node, segment)) return 0
    node = (node as Record<string, unknown>)[segment]
  }
  return node === undefined ? 0 : node
}

/** A record simplified to `fields`, keyed like Kismet keys its answer (unknown paths give 0). */
export function simplifyRecord(record: unknown, fields: readonly FieldSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const spec of fields) {
    const path = typeof spec === 'string' ? spec : spec[0]
    out[fieldKey(spec)] = resolveFieldPath(record, path)
  }
  return out
}
