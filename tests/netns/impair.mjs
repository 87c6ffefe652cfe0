// A UDP forwarder that loses and delays packets, for kernels without tc netem.
//
//   node impair.mjs LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT LOSS DELAY_MS SECONDS
//
// Each client gets its own upstream socket; every packet, either way, is dropped with
// probability LOSS and otherwise delivered DELAY_MS later. QUIC runs over it, so this is the
// loss and latency a peer sees on a bad link. It stops by itself after SECONDS.
import dgram from "node:dgram";

const [host, port, targetHost, targetPort, loss, delay, seconds] = process.argv.slice(2);
const LOSS = Number(loss);
const DELAY = Number(delay);
const front = dgram.createSocket("udp4");
const clients = new Map();
let passed = 0;
let dropped = 0;

function later(send) {
  if (Math.random() < LOSS) {
    dropped += 1;
    return;
  }
  passed += 1;
  setTimeout(send, DELAY);
}

front.on("message", (msg, rinfo) => {
  const key = `${rinfo.address}:${rinfo.port}`;
  let up = clients.get(key);
  if (!up) {
    up = dgram.createSocket("udp4");
    up.on("message", (back) => later(() => front.send(back, rinfo.port, rinfo.address)));
    clients.set(key, up);
  }
  later(() => up.send(msg, Number(targetPort), targetHost));
});

front.bind(Number(port), host, () => {
  console.log(`impair: ${host}:${port} -> ${targetHost}:${targetPort}, loss ${LOSS}, delay ${DELAY} ms`);
});

setTimeout(() => {
  console.log(`impair: ${passed} packets passed, ${dropped} dropped`);
  process.exit(0);
}, Number(seconds) * 1000);
