// Scale-out behind the shipped load balancer: deploy/nginx.conf run by a real nginx (Debian's
// nginx-light) in front of two real gateways (test/support/load-balancer.ts), one producer, a
// real redis-server, the Kismet simulator, real Socket.IO clients through nginx over websocket
// and over HTTP long-polling. Every wait is for an event or a condition, with an overall timeout.
import { existsSync } from 'node:fs'
import t from 'tap'
import { WatchedClient, cluster, eachSeenOnce, settled } from '../support/cluster.js'
import { NGINX, startNginx } from '../support/load-balancer.js'
import { waitFor } from '../support/socket.js'

t.test('deploy/nginx.conf in front of two gateways', async (t) => {
  if (!t.ok(existsSync(NGINX), `${NGINX} exists (apt-get install nginx-light; .ci/run does)`)) return
  const { sim, gateways } = await cluster(t, { producers: 1, gateways: 2 })
  const upstreams = gateways.map((gateway) => new URL(gateway.url).host)

  t.test('a websocket client and a long-polling client both get the snapshot and every new, remove and alert once', async (t) => {
    const lb = await startNginx(t, upstreams)
    const websocket = new WatchedClient(t, lb.url, { transports: ['websocket'] })
    const polling = new WatchedClient(t, lb.url, { transports: ['polling'] })
    await Promise.all([websocket.subscribe(['devices', 'alerts']), polling.subscribe(['devices', 'alerts'])])
    await settled(sim, [websocket, polling], 'the snapshot through nginx')
    await eachSeenOnce(t, sim, [websocket, polling])
    t.equal(websocket.socket.io.engine.transport.name, 'websocket', 'the first client is on a websocket')
    t.equal(polling.socket.io.engine.transport.name, 'polling', 'the second one on long-polling')
    const log = lb.accessLog()
    t.match(log, /"GET \/socket\.io\/\?EIO=4&transport=polling[^"]*&sid=[^"]*" 200 /, 'the long-polling session went through nginx')
    t.notMatch(log, /"\w+ \/socket\.io\/[^"]*" 400 /, 'and none of its requests reached the other gateway (no 400 "Session ID unknown")')
  })

  t.test('the affinity is what long-polling needs: the same file without `hash $remote_addr consistent` breaks a polling session', async (t) => {
    const lb = await startNginx(t, upstreams, (config) => {
      const roundRobin = config.replace(/^\s*hash \$remote_addr consistent;\n/m, '')
      if (roundRobin === config) throw new Error('deploy/nginx.conf has no `hash $remote_addr consistent;` line')
      return roundRobin
    })
    // Round robin: the handshake on one gateway, the session's next request (its CONNECT packet) on the other.
    const polling = new WatchedClient(t, lb.url, { transports: ['polling'] })
    await waitFor(polling.socket, 'connect_error', () => true, 10_000)
    t.equal(polling.socket.connected, false, 'the polling client cannot connect')
    t.match(lb.accessLog(), /"\w+ \/socket\.io\/\?EIO=4&transport=polling[^"]*&sid=[^"]*" 400 /, 'a request of its session reached the gateway that did not make it: 400 (Session ID unknown)')
  })
})
