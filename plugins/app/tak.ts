// TAK (src/tak/): the sensors' geolocated devices as Cursor-on-Target on the event channel
// (`tak:cot`, `tak:status`) and on the configured TAK outputs, as `app.tak`. The TAK_*
// variables are checked here, at registration: a bad one stops the start with one line
// (ConfigError). Outputs open when the app is ready and close with it.
import fp from 'fastify-plugin'
import { createTak, type Tak } from '../../src/tak/tak.js'
import { takSettings } from '../../src/tak/settings.js'

declare module 'fastify' {
  interface FastifyInstance {
    tak: Tak
  }
}

export default fp(
  async (app) => {
    const tak = createTak({
      settings: takSettings(app.config),
      clock: app.clock,
      channel: app.events,
      factory: app.envelopes,
      devices: app.sensors,
      sensorCount: app.sensors.names().length,
      log: app.log.child({ module: 'tak' }),
    })
    app.decorate('tak', tak)
    app.addHook('onReady', async () => tak.start())
    app.addHook('onClose', async () => tak.close())
  },
  { name: 'tak', fastify: '5.x', dependencies: ['config', 'events', 'sensors'] },
)
