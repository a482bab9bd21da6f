/**
 * The GraphiQL playground as a gateway route: `GET /playground`, and `GET /graphql` from a browser
 * (it asks for HTML), answer the page; `/playground/assets/…` the files it loads. Everything is
 * served by the gateway itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../../lib/config';
import { sendJson } from '../../lib/graphql-http';
import type { RouteHandler } from '../../lib/http-service';
import type { GatewayFeature } from '../feature';
import { loadPlaygroundAssets } from './assets';
import { Example, loadExamples } from './examples';
import { PlaygroundProcedure, renderPage } from './page';
import { readProcedureCatalogue } from '../../lib/procedures/catalogue';
import { SampleToken, sampleOfficerTokens } from './sample-officer';

export interface PlaygroundOptions {
  /** The GraphQL endpoint the page talks to. */
  endpoint: string;
  introspection: boolean;
  /** The development token source; null: no token is prefilled. */
  sampleToken: (() => Promise<SampleToken>) | null;
  examples?: Example[];
  /** The procedure catalogue's entries, shown in the schema docs. */
  procedures?: PlaygroundProcedure[];
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The page may carry a token: never stored by a cache.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Everything comes from this gateway; GraphiQL sets inline styles and embeds its fonts as data: URLs.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** A browser navigating to the endpoint, as opposed to a GraphQL client's GET query. */
function isBrowserVisit(req: IncomingMessage, url: URL): boolean {
  return String(req.headers.accept ?? '').includes('text/html') && !url.searchParams.has('query');
}

/**
 * Whether the visitor is on this machine: the development token goes only to them. The socket's
 * own peer address decides; a proxy's X-Forwarded-For is never trusted for it (anyone can send one).
 */
export function isLoopbackClient(socket: { remoteAddress?: string | undefined } | null | undefined): boolean {
  const address = socket?.remoteAddress;
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Whether the page was asked for by a loopback name (`localhost`, `127.x.x.x`, `[::1]`, any port).
 * A site whose name an attacker re-points at 127.0.0.1 (DNS rebinding) reaches this machine from
 * the visitor's own browser, but its pages still send their own name as Host.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name.toLowerCase() === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

export function createPlaygroundRoute(options: PlaygroundOptions): RouteHandler {
  const assets = loadPlaygroundAssets();
  const examples = options.examples ?? loadExamples();

  const sendPage = (req: IncomingMessage, res: ServerResponse) => {
    // A visitor from another machine, or a page of another site re-pointed here, gets the page
    // without a token, as in production.
    (options.sampleToken && isLoopbackClient(req.socket) && isLoopbackHost(req.headers.host) ? options.sampleToken() : Promise.resolve(null))
      .then((token) => {
        const html = renderPage({ endpoint: options.endpoint, introspection: options.introspection, examples, token, assets, procedures: options.procedures });
        res.writeHead(200, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(html) });
        res.end(req.method === 'HEAD' ? undefined : html);
      })
      .catch((error: unknown) => {
        // The development key could not be read: say so rather than open a page that cannot work.
        console.error(`playground: cannot mint the development token: ${(error as Error).message}`);
        sendJson(res, 500, { errors: [{ message: 'The playground could not mint its development token; see the gateway log', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      });
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    if (assets.serve(req, res, path)) return true;
    const isPage = path === '/playground' || path === '/playground/' || (path === options.endpoint && req.method === 'GET' && isBrowserVisit(req, url));
    if (!isPage) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed');
      return true;
    }
    sendPage(req, res);
    return true;
  };
}

/** The playground as the gateway's configuration asks: a development token only where one is safe and accepted. */
export function playgroundFromConfig(config: GatewayConfig, endpoint = '/graphql'): RouteHandler {
  const procedures = readProcedureCatalogue(config.procedureCatalogueFile).procedures.map(({ code, name, fields }) => ({ code, name, fields }));
  return createPlaygroundRoute({ endpoint, introspection: config.introspection, sampleToken: sampleOfficerTokens(config), procedures });
}

/** The playground at `/playground`, where PLAYGROUND is on. */
export function playground({ config }: { config: GatewayConfig }): GatewayFeature {
  return config.playground ? { name: 'playground', routes: [playgroundFromConfig(config)] } : { name: 'playground' };
}
