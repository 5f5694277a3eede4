// Real local listeners standing in for TAK clients and servers: a UDP socket (unicast or a
// multicast group on loopback) collecting datagrams, and a TCP or TLS server collecting each
// connection's bytes, with waits for what a test expects (no sleeps).
import dgram from 'node:dgram'
import { once } from 'node:events'
import net from 'node:net'
import tls from 'node:tls'
import type { TestLike } from '../helper.js'
import { Waiters } from './waiters.js'

export interface DatagramListener {
  port: number
  datagrams: Buffer[]
  until(count: number): Promise<Buffer[]>
}

/** A UDP socket on 127.0.0.1; with `group`, it joins that multicast group on the loopback interface. */
export async function listenUdp(t: TestLike, group?: string): Promise<DatagramListener> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true })
  const waiters = new Waiters()
  const datagrams: Buffer[] = []
  socket.on('message', (message) => {
    datagrams.push(message)
    waiters.wake()
  })
  socket.bind(0, group === undefined ? '127.0.0.1' : undefined)
  await once(socket, 'listening')
  if (group !== undefined) socket.addMembership(group, '127.0.0.1')
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  return {
    port: socket.address().port,
    datagrams,
    until: async (count) => {
      await waiters.until(() => datagrams.length >= count, `${count} datagrams (got ${datagrams.length})`)
      return datagrams
    },
  }
}

export interface ServerConnection {
  socket: net.Socket
  /** Everything received, as text. */
  text: string
  closed: boolean
}

export interface StreamListener {
  port: number
  connections: ServerConnection[]
  /** Resolves with connection number `index` (0-based) once it exists. */
  connection(index: number): Promise<ServerConnection>
  /** Resolves once `connection` has received text for which `condition` holds. */
  until(connection: ServerConnection, condition: (text: string) => boolean, what: string): Promise<string>
  untilClosed(connection: ServerConnection): Promise<void>
  close(): Promise<void>
}

export interface StreamListenerOptions {
  /** TLS options (cert, key, ca, requestCert...): a TLS server; otherwise plain TCP. */
  tls?: tls.TlsOptions
  /** false: a server that never reads what it is sent. */
  read?: boolean
}

/** A TCP (or TLS) server on 127.0.0.1 collecting what each connection sends. */
export async function listenStream(t: TestLike, options: StreamListenerOptions = {}): Promise<StreamListener> {
  const waiters = new Waiters()
  const connections: ServerConnection[] = []
  const accept = (socket: net.Socket) => {
    const connection: ServerConnection = { socket, text: '', closed: false }
    connections.push(connection)
    if (options.read === false) socket.pause()
    else
      socket.on('data', (chunk: Buffer) => {
        connection.text += chunk.toString('utf8')
        waiters.wake()
      })
    socket.on('error', () => {})
    socket.on('close', () => {
      connection.closed = true
      waiters.wake()
    })
    waiters.wake()
  }
  const server = options.tls ? tls.createServer(options.tls, accept) : net.createServer(accept)
  // A TLS server that refuses a client sees a handshake error: not the test's failure.
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const close = async () => {
    for (const connection of connections) connection.socket.destroy()
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  t.teardown(close)
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    connection: async (index) => {
      await waiters.until(() => connections.length > index, `connection ${index + 1}`)
      return connections[index]!
    },
    until: async (connection, condition, what) => {
      await waiters.until(() => condition(connection.text), what)
      return connection.text
    },
    untilClosed: (connection) => waiters.until(() => connection.closed, 'the connection to close'),
    close,
  }
}
