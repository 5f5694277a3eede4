// JSON value types for the records the simulator renders, and the two helpers every
// renderer needs. Kismet's answers are plain JSON: no undefined, no class instances.

export type JsonPrimitive = string | number | boolean | null
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** A deep copy of a template; templates are shared and must never be mutated. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value)
}

/** Sets `key` only when the template already has it, so a render never adds a key Kismet did not send. */
export function setIfPresent(record: JsonObject, key: string, value: JsonValue): void {
  if (Object.prototype.hasOwnProperty.call(record, key)) record[key] = value
}
