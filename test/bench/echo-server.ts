// Baseline peer for the WebSocket benches: a raw `ws` server that echoes every
// message, run as its own process like the kernel is.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => undefined);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on('listening', () => {
  const address = wss.address();
  process.stdout.write(`echo ready port=${typeof address === 'object' && address ? address.port : String(address)}\n`);
});
process.on('SIGTERM', () => process.exit(0));
