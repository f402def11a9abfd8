/**
 * A Redis Cluster of a test's own: masters only, on loopback ports and a temp dir, formed with
 * `redis-cli --cluster create`, for running Seatline with REDIS_CLUSTER_NODES.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { freePort } from './free-port.ts'
import { oneCommand, type RedisServerProcess, spawnRedisServer } from './redis-server.ts'

const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli'
const START_MS = 10_000
const CREATE_MS = 30_000
const FORM_MS = 30_000
/** A port can be taken between freePort() and the server's bind: try again with new ones. */
const BIND_ATTEMPTS = 3
const SLOTS = 16_384

const run = promisify(execFile)

export interface RedisClusterOptions {
  masters?: number
}

export interface RedisCluster {
  /** `127.0.0.1:p1,127.0.0.1:p2,...`: the value for REDIS_CLUSTER_NODES. */
  readonly nodes: string
  readonly ports: number[]
  readonly dir: string
  /** Any command on one node, on a short-lived connection (no redirects followed). */
  command (port: number, name: string, ...args: Array<string | number>): Promise<unknown>
  /** The port of the master that serves `key`'s slot. */
  portOf (key: string): Promise<number>
  /** What the servers and redis-cli printed. */
  output (): string
  /** Kills every server and deletes the dir. */
  stop (): Promise<void>
}

interface Node extends RedisServerProcess {
  port: number
}

function clusterInfo (text: string): Record<string, string> {
  return Object.fromEntries(text.split(/\r?\n/).filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]))
}

export async function startRedisCluster (options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3
  // redis-cli refuses to make a cluster of fewer than 3 masters.
  if (masters < 3) throw new RangeError(`a Redis Cluster needs at least 3 masters, asked for ${masters}`)
  const dir = await mkdtemp(join(tmpdir(), 'seatline-cluster-'))
  const log: string[] = []
  const keep = (chunk: Buffer | string) => {
    log.push(chunk.toString())
    if (log.length > 1000) log.splice(0, log.length - 1000)
  }
  const nodes: Node[] = []

  function spawnNode (port: number, busPort: number): Node {
    const server = spawnRedisServer([
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--port', String(port),
      // Chosen free too: the default (port + 10000) may be taken, or past 65535.
      '--cluster-port', String(busPort),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--cluster-node-timeout', '2000',
      '--dir', dir,
    ], (text) => keep(`[${port}] ${text}`))
    return Object.assign(server, { port })
  }

  /** A node answering PING, on ports that were free; new ports if the bind lost a race. */
  async function startNode (): Promise<Node> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      let busPort = await freePort()
      while (busPort === port) busPort = await freePort()
      const node = spawnNode(port, busPort)
      const deadline = Date.now() + START_MS
      while (node.running && Date.now() < deadline) {
        if (await oneCommand(port, 'ping', []).catch(() => undefined) === 'PONG') return node
        await sleep(20)
      }
      node.child.kill('SIGKILL')
      await node.exited
      if (attempt >= BIND_ATTEMPTS) throw new Error(`redis-server on port ${port} did not answer PING within ${START_MS / 1000} s (attempt ${attempt}):\n${log.join('')}`)
    }
  }

  async function stop (): Promise<void> {
    await Promise.all(nodes.map(async (node) => {
      if (node.running) node.child.kill('SIGKILL')
      await node.exited
    }))
    await rm(dir, { recursive: true, force: true })
  }

  async function portOf (key: string): Promise<number> {
    const first = nodes[0]!.port
    const slot = Number(await oneCommand(first, 'cluster', ['keyslot', key]))
    const ranges = await oneCommand(first, 'cluster', ['slots']) as Array<[number, number, [string, number, ...unknown[]]]>
    const range = ranges.find(([from, to]) => slot >= from && slot <= to)
    if (!range) throw new Error(`no node serves slot ${slot} of ${key}`)
    return range[2][1]
  }

  try {
    for (let i = 0; i < masters; i++) nodes.push(await startNode())
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`)
    try {
      const { stdout, stderr } = await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: CREATE_MS })
      keep(stdout + stderr)
    } catch (error) {
      const { stdout = '', stderr = '', message } = error as { stdout?: string, stderr?: string, message: string }
      throw new Error(`redis-cli --cluster create failed: ${message}\n${stdout}${stderr}\n${log.join('')}`)
    }
    // Every node must see every slot served and every other node before a client is let in.
    const deadline = Date.now() + FORM_MS
    let last: Array<Record<string, string> | string> = []
    for (;;) {
      last = await Promise.all(nodes.map((n) => oneCommand(n.port, 'cluster', ['info'])
        .then((text) => clusterInfo(String(text)), (error: Error) => `unreachable: ${error.message}`)))
      const formed = last.every((info) => typeof info !== 'string' && info.cluster_state === 'ok' &&
        Number(info.cluster_slots_ok) === SLOTS && Number(info.cluster_known_nodes) === masters)
      if (formed) break
      const dead = nodes.find((n) => !n.running)
      if (dead) throw new Error(`redis-server on port ${dead.port} exited while the cluster formed:\n${log.join('')}`)
      if (Date.now() >= deadline) {
        const states = last.map((info, i) => `${nodes[i]!.port}: ${typeof info === 'string' ? info : `${info.cluster_state}, ${info.cluster_slots_ok} slots ok, ${info.cluster_known_nodes} nodes known`}`)
        throw new Error(`the cluster was not ok on every node within ${FORM_MS / 1000} s (${states.join('; ')}):\n${log.join('')}`)
      }
      await sleep(50)
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {
    nodes: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    ports: nodes.map((n) => n.port),
    dir,
    command: (port, name, ...args) => oneCommand(port, name, args),
    portOf,
    output: () => log.join(''),
    stop,
  }
}
