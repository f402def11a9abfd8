/**
 * V8 flags every Seatline process runs with. Node sizes the young generation for the machine's
 * memory; on a 24 GiB host that lets a busy gateway grow past 200 MB of RSS for garbage it would
 * collect anyway. 4 MB semi-spaces keep each process well under that at no measured cost in
 * throughput (bench: uniform and general-admission, with and without). Keep package.json's
 * start scripts and the Dockerfile in step.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4']
