// The testbed image `acme6-testbed/http-echo`: a user's site. Answers 200 `site NAMESPACE/POD` to any
// method and path on 0.0.0.0:PORT, so a test can tell which pod served a request through the ingress.
// Usage (by the pod runner): node http-echo.ts PORT NAMESPACE/POD
import { createServer } from 'node:http';

const [portArg, site] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !site) {
  console.error('usage: http-echo.ts PORT NAMESPACE/POD');
  process.exit(2);
}
const body = `site ${site}`;
const server = createServer((req, res) => {
  console.log(`${req.method} ${req.headers.host ?? '-'} ${req.url}`);
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.listen(port, '0.0.0.0', () => console.log(`http-echo: ${body} on 0.0.0.0:${port}`));
process.once('SIGTERM', () => {
  console.log('http-echo: SIGTERM, closing');
  server.close(() => process.exit(0));
});
