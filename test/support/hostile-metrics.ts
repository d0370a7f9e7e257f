// Reads a live kernel's /metrics for the hostile-traffic tests: process RSS
// and Baton's own counters, by name and labels, from the Prometheus text.
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export async function scrape(http: string): Promise<Sample[]> {
  const response = await fetch(`http://${http}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** Sum of the samples of `name` whose labels include `labels`. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export const MiB = 1024 * 1024;

/** The kernel process's resident set size in bytes (Node's default process metric). */
export async function kernelRss(http: string): Promise<number> {
  const samples = await scrape(http);
  const rss = samples.find((s) => s.name === 'process_resident_memory_bytes');
  if (!rss) throw new Error('/metrics has no process_resident_memory_bytes');
  return rss.value;
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** Waits until the kernel owns no session and holds no socket: everything the test opened ended by itself. */
export async function settled(http: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(http);
    const sessions = total(samples, 'baton_sessions');
    const sockets = total(samples, 'baton_sockets');
    if (sessions === 0 && sockets === 0) return;
    if (Date.now() > deadline) throw new Error(`${sessions} sessions and ${sockets} sockets still open after ${timeoutMs} ms: a session that never ends is a leak`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

