// Free ports for the infrastructure specs (alternate ports: never the shared infrastructure's defaults).
import net from 'node:net';

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Where Linux's ephemeral ports (ip_local_port_range) start. */
const EPHEMERAL_START = 32768;

/**
 * A base port b such that b + each offset is free (e.g. Kafka's three nodes use b..b+5, a Redis
 * Cluster b..b+5 and b+10000..b+10005), picked at random from 20000 up, with every b + offset below 32768.
 */
export async function freePortBase(offsets: number[]): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below Linux's ephemeral range (32768–60999): a port the kernel hands to another process's
    // listen(0) or outgoing connection meanwhile would otherwise be taken before the infrastructure
    // program binds it (a start-up seconds later, e.g. Prometheus after Kafka and Jaeger).
    const base = 20000 + Math.floor(Math.random() * (EPHEMERAL_START - 20000 - Math.max(...offsets)));
    let free = true;
    for (const o of offsets) if (!(free = await canListen(base + o))) break;
    if (free) return base;
  }
  throw new Error(`no free port range for offsets ${offsets.join(',')}`);
}

export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
