// The watch list, under /api/kismet/ws (app.ts): the list (GET, POST an entry, PUT the whole
// list) and its entries (GET, PUT, DELETE /watchlist/:id). Every change is persisted before
// it is answered; watch:found / watch:lost follow on the alerts topic.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  ErrorResponseSchema,
  WatchEntryInputSchema,
  WatchEntryParamsSchema,
  WatchEntryResponseSchema,
  WatchListReplaceSchema,
  WatchListResponseSchema,
} from '../src/api-schemas.js'
import { MAX_WATCH_ENTRIES, parseEntryInput, type WatchEntryInput } from '../src/watchlist/entries.js'
import type { ChangeResult } from '../src/watchlist/store.js'
import { errorBody } from '../plugins/app/errors.js'
import type { FastifyReply } from 'fastify'

const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema, 503: ErrorResponseSchema }

/** A store refusal as its REST error: 404 unknown id, 409 full, 503 the file cannot be written. */
function refused(reply: FastifyReply, result: Extract<ChangeResult<unknown>, { ok: false }>) {
  if (result.reason === 'not_found') return reply.code(404).send(errorBody('NOT_FOUND', result.message))
  if (result.reason === 'full') return reply.code(409).send(errorBody('WATCHLIST_FULL', result.message))
  return reply.code(503).send(errorBody('WATCHLIST_UNAVAILABLE', result.message))
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const list = () => {
    const { store } = app.watchlist
    return {
      success: true as const,
      data: { entries: [...store.entries], limit: MAX_WATCH_ENTRIES as typeof MAX_WATCH_ENTRIES, persisted: store.persisted, ...(store.problem !== undefined && { problem: store.problem }) },
    }
  }
  const parseAll = (inputs: WatchEntryInput[]) => inputs.map(parseEntryInput)

  app.get('/watchlist', { schema: { tags: ['watchlist'], summary: 'The watch list: MACs, MAC prefixes and SSIDs to be told about (watch:found, watch:lost)', response: { 200: WatchListResponseSchema } } }, async () => list())

  app.post(
    '/watchlist',
    { schema: { tags: ['watchlist'], summary: 'Add an entry: a label and exactly one of mac, oui (a MAC prefix) or ssid', body: WatchEntryInputSchema, response: { 201: WatchEntryResponseSchema, ...errors } } },
    async (request, reply) => {
      const parsed = parseEntryInput(request.body)
      if (!parsed.ok) return reply.code(400).send(errorBody('BAD_REQUEST', parsed.message))
      const result = await app.watchlist.store.add(parsed.entry)
      if (!result.ok) return refused(reply, result)
      return reply.code(201).send({ success: true as const, data: result.value })
    },
  )

  app.put(
    '/watchlist',
    { schema: { tags: ['watchlist'], summary: 'Replace the whole list (new ids)', body: WatchListReplaceSchema, response: { 200: WatchListResponseSchema, ...errors } } },
    async (request, reply) => {
      const parsed = parseAll(request.body.entries)
      const bad = parsed.findIndex((p) => !p.ok)
      if (bad >= 0) return reply.code(400).send(errorBody('BAD_REQUEST', `entries/${bad}: ${(parsed[bad] as { message: string }).message}`))
      const result = await app.watchlist.store.replaceAll(parsed.map((p) => (p as Extract<typeof p, { ok: true }>).entry))
      if (!result.ok) return refused(reply, result)
      return list()
    },
  )

  app.get(
    '/watchlist/:id',
    { schema: { tags: ['watchlist'], summary: 'One entry', params: WatchEntryParamsSchema, response: { 200: WatchEntryResponseSchema, 404: ErrorResponseSchema } } },
    async (request, reply) => {
      const entry = app.watchlist.store.get(request.params.id)
      if (!entry) return reply.code(404).send(errorBody('NOT_FOUND', `No watch-list entry ${JSON.stringify(request.params.id)}`))
      return { success: true as const, data: entry }
    },
  )

  app.put(
    '/watchlist/:id',
    { schema: { tags: ['watchlist'], summary: 'Change an entry (same id; a new matcher starts its found/lost afresh)', params: WatchEntryParamsSchema, body: WatchEntryInputSchema, response: { 200: WatchEntryResponseSchema, ...errors } } },
    async (request, reply) => {
      const parsed = parseEntryInput(request.body)
      if (!parsed.ok) return reply.code(400).send(errorBody('BAD_REQUEST', parsed.message))
      const result = await app.watchlist.store.replace(request.params.id, parsed.entry)
      if (!result.ok) return refused(reply, result)
      return { success: true as const, data: result.value }
    },
  )

  app.delete(
    '/watchlist/:id',
    { schema: { tags: ['watchlist'], summary: 'Remove an entry', params: WatchEntryParamsSchema, response: { 200: WatchEntryResponseSchema, ...errors } } },
    async (request, reply) => {
      const result = await app.watchlist.store.remove(request.params.id)
      if (!result.ok) return refused(reply, result)
      return { success: true as const, data: result.value }
    },
  )
}

export default routes
