// Validated configuration as `app.config`, and the sensors to read as `app.sensorConfigs`.
// A bad value fails registration with a ConfigError whose message is the one line the server
// prints before exiting.
import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { ConfigError, ConfigSchema, describeConfigIssues, isHttpUrl, type Config } from '../../src/config.js'
import { sensorsFromConfig, type SensorConfig } from '../../src/sensor-config.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    sensorConfigs: SensorConfig[]
  }
}

export interface ConfigPluginOptions {
  /** Environment to read; tests pass their own. Defaults to process.env. */
  env?: Record<string, string | undefined>
}

export default fp<ConfigPluginOptions>(
  async (app, opts) => {
    const env = opts.env ?? process.env
    try {
      await app.register(fastifyEnv, {
        schema: ConfigSchema,
        env: false,
        dotenv: false,
        data: { ...env },
        ajv: {
          // ajv has no URL format of its own here; ours accepts only http(s) URLs.
          customOptions: (ajv) => ajv.addFormat('http-url', { type: 'string', validate: isHttpUrl }),
        },
      })
    } catch (error) {
      const issues = (error as { errors?: unknown }).errors
      if (Array.isArray(issues)) throw new ConfigError(describeConfigIssues(issues, env))
      throw error
    }
    const sensors = sensorsFromConfig(app.config, env)
    if (app.config.READY_MIN_SENSORS !== undefined && app.config.READY_MIN_SENSORS > sensors.length) {
      throw new ConfigError(`Invalid configuration: READY_MIN_SENSORS=${app.config.READY_MIN_SENSORS} is more than the ${sensors.length} sensor(s) configured`)
    }
    if (app.config.ROLE !== 'all' && app.config.REDIS_URL === undefined) {
      throw new ConfigError(`Invalid configuration: ROLE=${app.config.ROLE} needs REDIS_URL (the Redis the roles share)`)
    }
    app.decorate('sensorConfigs', sensors)
  },
  { name: 'config', fastify: '5.x' },
)
