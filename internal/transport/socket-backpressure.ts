// The egress bound of one socket. Below the high-water mark everything is
// written. Above it the session's producer is told to wait (the turn pacer
// stops pulling from the node graph, whose credits then stop the nodes), so
// audio is held back at its source instead of piling up in the socket.
// Control events still go so the gateway can learn the turn ended; a reader
// that lets even those pile up to four times the mark is cut off. Nothing
// here buffers: it only decides and signals.
import type { WebSocket } from 'ws';
import type { Lane } from '../../api/eventabi/kinds.js';
import type { Metrics } from '../observe/metrics.js';

interface DrainableSocket {
  on(event: 'drain', listener: () => void): unknown;
  off(event: 'drain', listener: () => void): unknown;
}

export class SocketBackpressure {
  private readonly waiters = new Set<() => void>();
  private listening = false;
  private disposed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly highWaterBytes: number,
    private readonly metrics: Metrics,
  ) {}

  /** Whether a producer may send more now. */
  get writable(): boolean {
    return this.ws.bufferedAmount < this.highWaterBytes;
  }

  /**
   * Whether an event of `lane` may be written now. Producers that respect
   * `writable` never get here above the mark; what does is a producer that
   * cannot wait (errors, notices) or Control.
   */
  admit(lane: Lane): boolean {
    const buffered = this.ws.bufferedAmount;
    if (buffered > 4 * this.highWaterBytes) {
      this.metrics.egressFenced.inc({ reason: 'slow_reader' });
      this.metrics.socketCloses.inc({ code: 'slow_reader' });
      this.ws.terminate();
      return false;
    }
    if (lane !== 'control' && buffered > 2 * this.highWaterBytes) {
      this.metrics.egressFenced.inc({ reason: 'slow_reader' });
      return false;
    }
    return true;
  }

  /** Calls `resume` once the socket has drained (at once, on a later tick, if it is writable now). */
  onceWritable(resume: () => void): void {
    if (this.disposed) return;
    this.waiters.add(resume);
    if (this.writable) {
      queueMicrotask(() => this.wake());
      return;
    }
    this.metrics.egressBackpressure.inc();
    this.arm();
  }

  dispose(): void {
    this.disposed = true;
    this.waiters.clear();
    if (this.listening) this.socket()?.off('drain', this.onDrain);
    this.listening = false;
  }

  private readonly onDrain = (): void => {
    if (!this.writable) return;
    this.socket()?.off('drain', this.onDrain);
    this.listening = false;
    this.wake();
  };

  private arm(): void {
    if (this.listening || this.disposed) return;
    const socket = this.socket();
    // No socket left (closed under us): nobody will drain it; the session's detach ends the wait.
    if (!socket) return;
    this.listening = true;
    socket.on('drain', this.onDrain);
  }

  private wake(): void {
    if (this.disposed) return;
    if (!this.writable) {
      this.arm();
      return;
    }
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const resume of waiters) resume();
  }

  private socket(): DrainableSocket | undefined {
    return (this.ws as unknown as { _socket?: DrainableSocket })._socket;
  }
}
