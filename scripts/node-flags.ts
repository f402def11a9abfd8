/**
 * V8 flags every Seatline process runs with. Node sizes its heap for the machine's memory; on a
 * 24 GiB host a busy gateway grew past 280 MB of RSS in the flash sale, almost all of it garbage
 * V8 had not bothered to collect (a heap snapshot at the peak held 45 MB live). 4 MB
 * semi-spaces and a 128 MB old space make it collect sooner: peak RSS 152 MB, with uniform
 * throughput unchanged (bench, same run). The live heap is bounded (the gateway's memories
 * are capped sets; waiters and batches by open connections), well under the limit. Every
 * start command (scripts/start.ts, the test and bench harness) takes them from here.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=128', ...profileFlags()]

/**
 * With SEATLINE_CPU_PROF_DIR set, every process writes a V8 CPU profile there when it exits (Node
 * refuses --cpu-prof in NODE_OPTIONS): `SEATLINE_CPU_PROF_DIR=/tmp/prof npm run bench:cpu -- 4`.
 */
function profileFlags (): string[] {
  const dir = process.env.SEATLINE_CPU_PROF_DIR
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []
}

/**
 * glibc malloc settings for the same processes. By default each thread (V8's GC helpers,
 * libuv's pool) gets its own arena, and large buffers freed by a burst (2,000 seat-list pages
 * written at once) stay in the heap as holes. Two arenas and a fixed 64 KB mmap threshold
 * (large blocks are mapped and unmapped, not kept) took an idle gateway from 141 to 126 MB
 * and one with 2,000 live maps from 220 to 193 MB. The environment overrides them.
 */
export const SERVICE_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' }
