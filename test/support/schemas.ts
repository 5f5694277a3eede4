// Checks values against the shared TypeBox schemas, with readable failures.
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { EnvelopeSchemas, type AnyEnvelope, type EventType } from '../../src/events.js'

const compiled = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>()

/** Schema errors of `value` as lines ("path: message"); empty when valid. */
export function schemaErrors(schema: TSchema, value: unknown): string[] {
  let check = compiled.get(schema)
  if (!check) {
    check = TypeCompiler.Compile(schema)
    compiled.set(schema, check)
  }
  return [...check.Errors(value)].map((e) => `${e.path}: ${e.message}`)
}

export function envelopeErrors(envelope: AnyEnvelope): string[] {
  const schema = EnvelopeSchemas[envelope.type as EventType]
  return schema ? schemaErrors(schema, envelope) : [`unknown type ${String(envelope.type)}`]
}
