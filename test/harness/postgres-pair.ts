/**
 * A Postgres primary and a synchronous standby of a test's own, on loopback ports and a fresh
 * temp dir, so a test can crash the primary and promote the standby as Patroni (or a managed
 * database's failover) would. The standby is made with pg_basebackup and streams from a slot;
 * `synchronous_standby_names` names it, so a commit is acknowledged only once the standby has
 * flushed it. fsync stays on: what is acknowledged is on both disks.
 *
 * initdb and postgres refuse to run as root: run as root, every server command runs as the
 * `postgres` OS user (`runuser`), and the temp dir belongs to it.
 */
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { appendFile, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './free-port.ts'

const OS_USER = 'postgres'
// Run as root (CI, the dev machines), the servers run as `postgres`; run as anyone else, as them.
const AS_ROOT = process.getuid?.() === 0
const STANDBY_NAME = 'seatline_standby'
const START_S = 30
const SYNC_MS = 15_000

const run = promisify(execFile)

export interface PostgresNode {
  role: 'primary' | 'standby'
  port: number
  dataDir: string
  /** Its postmaster's pid while it runs (read from postmaster.pid). */
  readonly pid: number | undefined
  /** This server alone: `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url (database?: string): string
  /** One statement on a short-lived connection to this server. */
  query<R extends pg.QueryResultRow = Record<string, unknown>> (sql: string, database?: string): Promise<R[]>
}

export interface PostgresPair {
  dir: string
  primary: PostgresNode
  standby: PostgresNode
  /** Both servers, primary first, with libpq's meaning: `…@127.0.0.1:P,127.0.0.1:S/<db>?target_session_attrs=read-write`. */
  multiHostUrl (database: string): string
  /**
   * A crash of the primary's machine: its postmaster is stopped, then it and every process it
   * started get SIGKILL at once, with no chance to flush or say goodbye. Resolves, with the pids
   * killed, when none of them is left.
   */
  killPrimary (): Promise<number[]>
  /** `pg_ctl promote`; resolves once the standby has left recovery. */
  promoteStandby (): Promise<void>
  /** Sets `synchronous_commit` for the whole primary (ALTER SYSTEM and a reload). */
  setSynchronousCommit (value: 'on' | 'local' | 'remote_write' | 'remote_apply' | 'off'): Promise<void>
  /** What both servers logged. */
  output (): string
  /** Stops both servers (immediately) and deletes the dir; safe to call twice. */
  stop (): Promise<void>
}

interface ServerDir { dataDir: string, cluster: string }

const live = new Map<string, ServerDir[]>()
// A test process that dies abruptly must not leave servers or their files behind.
process.once('exit', () => {
  for (const [dir, servers] of live) {
    for (const server of servers) killTree(server.dataDir, server.cluster)
    rmSync(dir, { recursive: true, force: true })
  }
})

/**
 * The running postmaster of a data dir. A crash leaves postmaster.pid behind, and its pid may
 * since belong to another process: only a postgres started on this dir counts.
 */
function postmasterPid (dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Alive and not a zombie waiting for its parent. */
function isAlive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/**
 * The server's processes: the postmaster's children (each is a session leader of its own, so
 * a process group would not reach them) and any process titled with its cluster name.
 */
function serverProcesses (postmaster: number | undefined, cluster: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      if ((postmaster !== undefined && ppid === postmaster) || title.startsWith(`postgres: ${cluster}: `)) found.push(Number(entry))
    } catch {}
  }
  return found
}

/** SIGKILL to a server's postmaster and every process of it, in one go; returns the pids. */
function killTree (dataDir: string, cluster: string): number[] {
  const postmaster = postmasterPid(dataDir)
  // Stopped first, it forks nothing while its children are listed and killed.
  try {
    if (postmaster) process.kill(postmaster, 'SIGSTOP')
  } catch {}
  const pids = [...serverProcesses(postmaster, cluster), ...(postmaster ? [postmaster] : [])]
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  return pids
}

/** PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's layout). */
function serverBin (): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const root = '/usr/lib/postgresql'
  let versions: string[] = []
  try {
    versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  } catch {}
  if (!versions[0]) throw new Error(`no initdb under ${root}/<version>/bin: install the postgresql package, or set PG_BIN`)
  return join(root, versions[0], 'bin')
}

async function asPostgres (command: string, args: string[]): Promise<string> {
  const binary = join(serverBin(), command)
  try {
    const { stdout, stderr } = await (AS_ROOT ? run('runuser', ['-u', OS_USER, '--', binary, ...args], { timeout: 60_000 }) : run(binary, args, { timeout: 60_000 }))
    return stdout + stderr
  } catch (error) {
    const e = error as { stdout?: string, stderr?: string, message: string }
    throw new Error(`${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`)
  }
}

/** Who the servers' files must belong to. */
function serverOwner (): { uid: number, gid: number } {
  if (!AS_ROOT) return { uid: process.getuid!(), gid: process.getgid!() }
  const id = (flag: string) => Number(execFileSync('id', [flag, OS_USER], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

function makeNode (role: PostgresNode['role'], port: number, dataDir: string): PostgresNode {
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  return {
    role,
    port,
    dataDir,
    get pid () {
      return postmasterPid(dataDir)
    },
    url,
    async query<R extends pg.QueryResultRow> (sql: string, database?: string) {
      const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 5_000 })
      client.on('error', () => {})
      await client.connect()
      try {
        return (await client.query<R>(sql)).rows
      } finally {
        await client.end().catch(() => {})
      }
    },
  }
}

async function waitFor (what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await sleep(50)
  }
  throw new Error(`${what} within ${ms} ms`)
}

/** Starts the pair; resolves once the standby streams and is the primary's synchronous standby. */
export async function startPostgresPair (): Promise<PostgresPair> {
  const dir = await mkdtemp(join(tmpdir(), 'seatline-pg-'))
  const owner = serverOwner()
  const cluster = `seatline-${randomBytes(4).toString('hex')}`
  const nodes = { primary: { dataDir: join(dir, 'primary'), cluster: `${cluster}-primary` }, standby: { dataDir: join(dir, 'standby'), cluster: `${cluster}-standby` } }
  live.set(dir, Object.values(nodes))
  let stopped: Promise<void> | undefined

  async function stop (): Promise<void> {
    stopped ??= (async () => {
      for (const node of Object.values(nodes)) {
        // An immediate stop is enough: the dir goes next. A server pg_ctl cannot stop is killed.
        if (postmasterPid(node.dataDir)) await asPostgres('pg_ctl', ['-D', node.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop']).catch(() => {})
        killTree(node.dataDir, node.cluster)
      }
      await rm(dir, { recursive: true, force: true })
      live.delete(dir)
    })()
    return stopped
  }

  try {
    await chown(dir, owner.uid, owner.gid)
    const socketDir = join(dir, 'sock')
    await mkdir(socketDir)
    await chown(socketDir, owner.uid, owner.gid)
    const [primaryPort, standbyPort] = [await freePort(), await freePort()]
    const primary = makeNode('primary', primaryPort, nodes.primary.dataDir)
    const standby = makeNode('standby', standbyPort, nodes.standby.dataDir)

    // --no-sync: only initdb's and pg_basebackup's own files skip the flush at the end; the
    // servers run with fsync on, and that is what a commit relies on.
    await asPostgres('initdb', ['-D', primary.dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'])
    // The standby inherits this file with the base backup; its own lines go after.
    await appendFile(join(primary.dataDir, 'postgresql.conf'), [
      '',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir}'`,
      `port = ${primaryPort}`,
      `cluster_name = '${nodes.primary.cluster}'`,
      'shared_buffers = 32MB',
      'max_connections = 100',
      'fsync = on',
      'synchronous_commit = on',
      'wal_level = replica',
      'max_wal_senders = 4',
      'max_replication_slots = 4',
      'hot_standby = on',
      // The standby's walreceiver notices a dead primary within a second, not a minute.
      'wal_receiver_timeout = 5s',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'))
    await asPostgres('pg_ctl', ['-D', primary.dataDir, '-l', join(dir, 'primary.log'), '-w', '-t', String(START_S), 'start'])

    await asPostgres('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standby.dataDir,
      '-X', 'stream', '-C', '-S', STANDBY_NAME, '--checkpoint=fast', '--no-sync'])
    await appendFile(join(standby.dataDir, 'postgresql.conf'), [
      '',
      `port = ${standbyPort}`,
      `cluster_name = '${nodes.standby.cluster}'`,
      `primary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres application_name=${STANDBY_NAME}'`,
      `primary_slot_name = '${STANDBY_NAME}'`,
      '',
    ].join('\n'))
    const signal = join(standby.dataDir, 'standby.signal')
    await writeFile(signal, '')
    await chown(signal, owner.uid, owner.gid)
    await asPostgres('pg_ctl', ['-D', standby.dataDir, '-l', join(dir, 'standby.log'), '-w', '-t', String(START_S), 'start'])

    // Synchronous only now: the standby's copy of the settings must not wait for a standby of its
    // own once promoted (Patroni likewise rewrites the list as members come and go).
    await primary.query(`alter system set synchronous_standby_names = '${STANDBY_NAME}'`)
    await primary.query('select pg_reload_conf()')
    await waitFor('the standby did not become synchronous', SYNC_MS, async () => {
      const rows = await primary.query<{ sync_state: string, state: string }>(`select state, sync_state from pg_stat_replication where application_name = '${STANDBY_NAME}'`)
      return rows[0]?.state === 'streaming' && rows[0].sync_state === 'sync'
    })

    return {
      dir,
      primary,
      standby,
      multiHostUrl: (database) => `postgres://postgres@127.0.0.1:${primaryPort},127.0.0.1:${standbyPort}/${database}?target_session_attrs=read-write`,
      async killPrimary () {
        const pids = killTree(primary.dataDir, nodes.primary.cluster)
        await waitFor('the primary\'s processes did not all die', 10_000, async () => pids.every((pid) => !isAlive(pid)))
        return pids
      },
      async promoteStandby () {
        await asPostgres('pg_ctl', ['-D', standby.dataDir, '-w', '-t', String(START_S), 'promote'])
        await waitFor('the standby did not leave recovery', 10_000, async () => {
          const [row] = await standby.query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering')
          return row?.recovering === false
        })
      },
      async setSynchronousCommit (value) {
        await primary.query(`alter system set synchronous_commit = '${value}'`)
        await primary.query('select pg_reload_conf()')
        // A reload reaches the backends when each next reads its signals: ask a fresh one.
        await waitFor(`synchronous_commit did not become ${value}`, 5_000, async () => {
          const [row] = await primary.query<{ synchronous_commit: string }>('show synchronous_commit')
          return row?.synchronous_commit === value
        })
      },
      output: () => ['primary', 'standby'].map((role) => {
        try {
          return `--- ${role} ---\n${readFileSync(join(dir, `${role}.log`), 'utf8')}`
        } catch {
          return ''
        }
      }).join('\n'),
      stop,
    }
  } catch (error) {
    const logs = await Promise.all(['primary.log', 'standby.log'].map((f) => readFile(join(dir, f), 'utf8').catch(() => '')))
    await stop()
    throw new Error(`${(error as Error).message}\n${logs.join('\n')}`, { cause: error })
  }
}
