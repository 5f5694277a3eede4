// Abuse limits: the per-socket rate limiter (RATE_LIMITED, then disconnection) and the
// small message size limit.
import t from 'tap'
import { startApp } from '../helper.js'
import { createClient, waitFor } from '../support/socket.js'
import { MAX_HTTP_BUFFER_SIZE } from '../../plugins/app/socketio.js'
import type { ClientError } from '../../src/events.js'
import { ManualClock } from '../../src/clock.js'

t.test('messages beyond the burst are refused with RATE_LIMITED until the bucket refills', async (t) => {
  const clock = new ManualClock()
  const { url, app } = await startApp(t, { clock, socket: { limits: { burst: 5, perSecond: 1, maxRefusals: 100 } } })
  const client = createClient(t, url)
  await waitFor(client, 'connected')
  const errors: ClientError[] = []
  client.on('error', (e) => errors.push(e))
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      Promise.race([
        new Promise<string>((resolve) => client.emit('ping', i, () => resolve('answered'))),
        waitFor<ClientError>(client, 'error').then(() => 'refused'),
      ]),
    ),
  )
  await new Promise<void>((resolve) => {
    const check = () => (errors.length >= 3 ? resolve() : setImmediate(check))
    check()
  })
  t.equal(errors.length, 3, 'three refused')
  t.ok(errors.every((e) => e.code === 'RATE_LIMITED'))
  t.equal(answers.filter((a) => a === 'answered').length >= 5, true, 'the burst was served')
  t.equal(app.stats.clientErrors.RATE_LIMITED, 3)

  clock.advance(2000) // two tokens back
  const echoed = await new Promise<number>((resolve) => client.emit('ping', 99, resolve))
  t.equal(echoed, 99, 'served again after refill')
})

t.test('a socket that keeps going is disconnected', async (t) => {
  const clock = new ManualClock()
  const { url, app } = await startApp(t, { clock, socket: { limits: { burst: 2, perSecond: 1, maxRefusals: 5 } } })
  const client = createClient(t, url)
  await waitFor(client, 'connected')
  const gone = waitFor<string>(client, 'disconnect')
  for (let i = 0; i < 20; i++) client.emit('subscribe', 'devices')
  t.equal(await gone, 'io server disconnect')
  t.equal(app.stats.socketsDropped, 1)

  const other = createClient(t, url)
  await waitFor(other, 'connected')
  t.pass('others are still served')
})

t.test('a message larger than the limit closes that connection only', async (t) => {
  const { url } = await startApp(t)
  const big = createClient(t, url)
  const small = createClient(t, url)
  await Promise.all([waitFor(big, 'connected'), waitFor(small, 'connected')])
  const gone = waitFor<string>(big, 'disconnect')
  big.emit('subscribe', ['x'.repeat(MAX_HTTP_BUFFER_SIZE + 10)] as never)
  t.equal(await gone, 'transport close')
  const echoed = await new Promise<number>((resolve) => small.emit('ping', 7, resolve))
  t.equal(echoed, 7)
})
