// The commands a worker understands, and the work itself. Replace runJob with your own:
// it gets the job's name and duration and an AbortSignal; a rejection is reported to the
// sender as `Failed job <name>: <reason>`.

export type Command = { kind: 'job'; name: string; ms: number } | { kind: 'unknown'; body: string };

/** `job <name> <ms>`; anything else is unknown. */
export function parseCommand(body: string): Command {
  const m = /^\s*job\s+(\S+)\s+(\d+)\s*$/.exec(body);
  return m ? { kind: 'job', name: m[1]!, ms: Number(m[2]) } : { kind: 'unknown', body };
}

/** The work: here it just takes `ms` milliseconds, without blocking the event loop (so the connection keeps running). */
export function runJob(job: { name: string; ms: number }, opts: { maxJobMs: number }): Promise<void> {
  if (job.ms > opts.maxJobMs) return Promise.reject(new Error(`${job.ms} ms is longer than JOB_MAX_MS (${opts.maxJobMs})`));
  return new Promise((resolve) => setTimeout(resolve, job.ms));
}
