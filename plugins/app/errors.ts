// One error shape for the whole REST API: { success: false, error: { message, code } }.
import fp from 'fastify-plugin'
import type { FastifyError } from 'fastify'
import type { ErrorResponse, RestErrorCode } from '../../src/api-schemas.js'

export function errorBody(code: RestErrorCode, message: string): ErrorResponse {
  return { success: false, error: { message, code } }
}

const CODE_BY_STATUS: Record<number, RestErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'NOT_READY',
}

/** A client's mistake (4xx) always gets a client code; only the server's own failures (5xx) are INTERNAL. */
function errorCodeOf(status: number): RestErrorCode {
  return CODE_BY_STATUS[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL')
}

export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500
      if (status >= 500) request.log.error({ err: error }, 'request failed')
      const code = errorCodeOf(status)
      // Internal details stay in the log; clients get a stable message.
      const message = status >= 500 ? 'Internal server error' : error.message
      return reply.code(status).send(errorBody(code, message))
    })
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)),
    )
  },
  { name: 'errors', fastify: '5.x' },
)
