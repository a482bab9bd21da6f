import { createServer } from 'node:net';
import { HttpServiceOptions, RunningHttpService, startHttpService } from '../../../lib/http-service';

const SHELL: HttpServiceOptions = {
  host: '127.0.0.1',
  port: 0,
  requestIdOf: () => 'test',
  spanName: 'test',
  graphql: async (_req, res) => void res.writeHead(200).end('{}'),
  release: async () => undefined,
};

describe('the HTTP shell with a warm-up', () => {
  const started: RunningHttpService[] = [];
  afterEach(async () => void (await Promise.all(started.splice(0).map((service) => service.close()))));

  async function start(warmUp: () => Promise<void>) {
    const service = await startHttpService({ ...SHELL, warmUp });
    started.push(service);
    return service;
  }
  const readyStatus = async (service: RunningHttpService) => (await fetch(`http://127.0.0.1:${service.port}/ready`)).status;

  it('holds its port and answers /ready with 503 until the warm-up has settled, then 200', async () => {
    let finish: () => void = () => undefined;
    const service = await start(() => new Promise<void>((resolve) => (finish = resolve)));
    // The port is taken while warming up: nothing else can listen on it.
    const other = createServer();
    await expect(new Promise((resolve, reject) => other.once('error', reject).listen(service.port, '127.0.0.1', () => resolve(undefined)))).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect((await fetch(`http://127.0.0.1:${service.port}/health`)).status).toBe(200);
    expect(await readyStatus(service)).toBe(503);
    finish();
    await service.ready;
    expect(await readyStatus(service)).toBe(200);
  });

  it('turns ready when the warm-up fails: the failure is the warm-up\'s to report', async () => {
    const service = await start(() => Promise.reject(new Error('catalogue unreachable')));
    await service.ready;
    expect(await readyStatus(service)).toBe(200);
  });

  it('stops cleanly during the warm-up, its ready promise settling once the warm-up does', async () => {
    let finish: () => void = () => undefined;
    const service = await start(() => new Promise<void>((resolve) => (finish = resolve)));
    await service.close();
    expect(service.server.listening).toBe(false);
    finish();
    await expect(service.ready).resolves.toBeUndefined();
  });
});
