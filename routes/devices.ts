// Exports of the device table, under /api/kismet/ws (app.ts): GET /devices with the same
// filter as a subscription, as query parameters. JSON comes in pages; CSV, GeoJSON and KML
// are streamed as downloads, chunk by chunk (src/exports/formats.ts).
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { DevicesPageSchema, DevicesQuerySchema, ErrorResponseSchema } from '../src/api-schemas.js'
import { EXPORT_CONTENT_TYPES, exportChunks, exportFileName } from '../src/exports/formats.js'
import { parseExportQuery, selectRows } from '../src/exports/selection.js'
import { errorBody } from '../plugins/app/errors.js'
import { sensorsOf } from '../plugins/app/scale.js'

const download = (description: string) => ({ description, schema: Type.String() })

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/devices',
    {
      schema: {
        tags: ['devices'],
        summary: 'The devices of every sensor (or some), filtered like a subscription: JSON pages, or a CSV, GeoJSON or KML download',
        querystring: DevicesQuerySchema,
        response: {
          200: {
            description: 'format=json: one page; the other formats: the whole selection, streamed, with Content-Disposition: attachment',
            content: {
              'application/json': { schema: DevicesPageSchema },
              'text/csv': download('a header row, then one row per device (sensor first); times ISO 8601'),
              'application/geo+json': download('a FeatureCollection of the geolocated devices'),
              'application/vnd.google-earth.kml+xml': download('a KML document of the geolocated devices'),
            },
          },
          400: ErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { format, offset, limit, ...query } = request.query
      const tables = sensorsOf(app)
      const parsed = parseExportQuery(query, tables.names())
      if (!parsed.ok) return reply.code(400).send(errorBody('BAD_REQUEST', parsed.message))
      const rows = selectRows(tables, parsed.sensors, parsed.filter)
      if (format === 'json') {
        const end = Math.min(rows.length, offset + limit)
        return reply.type('application/json').send({
          success: true as const,
          data: { devices: rows.slice(offset, end), total: rows.length, offset, limit, nextOffset: end < rows.length ? end : null },
        })
      }
      // Fastify pipes a Readable to the response; the type provider knows only the documented bodies (strings).
      const body = Readable.from(exportChunks(format, rows)) as unknown as string
      return reply
        .type(EXPORT_CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${exportFileName(format, app.clock.now())}"`)
        .send(body)
    },
  )
}

export default routes
