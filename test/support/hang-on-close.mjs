// Preloaded into a service process by a test (NODE_OPTIONS=--import ...): its HTTP server
// never finishes closing, as if something held it, so the shutdown can only end by the grace
// period running out.
import http from 'node:http'

http.Server.prototype.close = function close() {
  return this
}
