// Development only: lets `npm run dev` in a plain browser talk to a real node. Run
// `weft serve --data-dir DIR` and start Vite with WEFT_DEV_SOCKET=DIR/control.sock; the page
// then sends its requests to /__weft/execute and this forwards them over the node's control
// socket (a 4-byte big-endian length, then JSON). Never part of the built app.

import { connect } from 'node:net';
import type { Plugin } from 'vite';

function call(socket: string, request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    const body = Buffer.from(JSON.stringify(request));
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    let got = Buffer.alloc(0);
    conn.on('connect', () => conn.write(Buffer.concat([head, body])));
    conn.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) {
        conn.end();
        try {
          resolve(JSON.parse(got.subarray(4, 4 + got.readUInt32BE(0)).toString('utf8')));
        } catch (e) {
          reject(e);
        }
      }
    });
    conn.on('error', reject);
  });
}

export function nodeBridge(socket: string): Plugin {
  return {
    name: 'weft-node-bridge',
    configureServer(server) {
      server.middlewares.use('/__weft/execute', (req, res) => {
        let text = '';
        req.on('data', (c: Buffer) => (text += c.toString('utf8')));
        req.on('end', () => {
          call(socket, JSON.parse(text))
            .then((reply) => {
              res.setHeader('content-type', 'application/json');
              res.end(JSON.stringify(reply));
            })
            .catch((e: unknown) => {
              res.statusCode = 502;
              res.end(JSON.stringify({ err: { code: 'internal', message: String(e) } }));
            });
        });
      });
    },
  };
}
