/**
 * The ceiling: a bare node:http server answering POST /graphql/<workload> with fixed bytes (a
 * real answer of that workload, captured from the gateway), doing no other work. What the machine
 * and the load generator can do at most; no gateway can be faster.
 *
 *   tsx bench/ceiling-server.ts <port> <answers.json>   (answers.json: {"<workload>": "<body>", …})
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, answersFile] = process.argv.slice(2);
const answers = new Map(
  Object.entries(JSON.parse(readFileSync(answersFile, 'utf8')) as Record<string, string>).map(([workload, body]) => [`/graphql/${workload}`, Buffer.from(body)]),
);

const server = createServer((req, res) => {
  const body = answers.get(req.url ?? '');
  // Drain the request body before answering, as any server must.
  req.resume();
  req.on('end', () => {
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), '127.0.0.1', () => console.log(`ceiling: serving on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
