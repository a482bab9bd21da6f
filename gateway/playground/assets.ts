/**
 * The playground's static files, served by the gateway itself from the installed npm packages
 * (GraphiQL's and React's UMD builds, a font) and from client/: nothing loads from a CDN, so the
 * playground works on networks without internet access. Only the files listed here are served,
 * by name, so no request path can reach the file system.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const WOFF2 = 'font/woff2';

/** Served name → where it comes from. The React builds must load before GraphiQL's, which uses them as globals. */
const FILES = {
  'react.production.min.js': { from: 'react', path: 'umd/react.production.min.js', type: JS },
  'react-dom.production.min.js': { from: 'react-dom', path: 'umd/react-dom.production.min.js', type: JS },
  'graphiql.min.js': { from: 'graphiql', path: 'graphiql.min.js', type: JS },
  'graphiql.min.css': { from: 'graphiql', path: 'graphiql.min.css', type: CSS },
  // GraphiQL's embedded monospace font lacks Vietnamese letters; these subsets cover them.
  'roboto-mono-latin.woff2': { from: '@fontsource/roboto-mono', path: 'files/roboto-mono-latin-400-normal.woff2', type: WOFF2 },
  'roboto-mono-latin-ext.woff2': { from: '@fontsource/roboto-mono', path: 'files/roboto-mono-latin-ext-400-normal.woff2', type: WOFF2 },
  'roboto-mono-vietnamese.woff2': { from: '@fontsource/roboto-mono', path: 'files/roboto-mono-vietnamese-400-normal.woff2', type: WOFF2 },
  'playground.js': { from: 'client', path: 'playground.js', type: JS },
  'playground.css': { from: 'client', path: 'playground.css', type: CSS },
} satisfies Record<string, { from: string; path: string; type: string }>;

export type AssetName = keyof typeof FILES;

export const ASSET_PREFIX = '/playground/assets/';

interface Asset {
  body: Buffer;
  type: string;
  /** Content hash: the `?v=` of the page's URLs and the ETag. */
  version: string;
  gzipped?: Buffer;
}

function locate(from: string, path: string): string {
  if (from === 'client') return join(__dirname, 'client', path);
  // The packages export only their main entry, but their package.json tells where they live.
  return join(dirname(require.resolve(`${from}/package.json`)), path);
}

export interface PlaygroundAssets {
  /** `/playground/assets/<name>?v=<version>` for a listed file. */
  url(name: AssetName): string;
  /** Answers GET/HEAD for `/playground/assets/…`; false for any other path. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

export function loadPlaygroundAssets(): PlaygroundAssets {
  const assets = new Map<string, Asset>();
  for (const [name, file] of Object.entries(FILES) as [AssetName, (typeof FILES)[AssetName]][]) {
    let body: Buffer;
    try {
      body = readFileSync(locate(file.from, file.path));
    } catch {
      throw new Error(`The playground needs ${file.from}/${file.path}; run "npm ci" to install it`);
    }
    // The source map is not shipped; without its comment, browser tools do not ask for it.
    if (file.type === JS) body = Buffer.from(body.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    assets.set(name, { body, type: file.type, version: createHash('sha256').update(body).digest('hex').slice(0, 16) });
  }

  return {
    url: (name) => `${ASSET_PREFIX}${name}?v=${assets.get(name)!.version}`,
    serve(req, res, path) {
      if (!path.startsWith(ASSET_PREFIX)) return false;
      const asset = assets.get(path.slice(ASSET_PREFIX.length));
      if (!asset) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
        return true;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed');
        return true;
      }
      const version = new URL(req.url ?? '/', 'http://x').searchParams.get('v');
      const etag = `"${asset.version}"`;
      const headers: Record<string, string | number> = {
        'content-type': asset.type,
        etag,
        vary: 'accept-encoding',
        'x-content-type-options': 'nosniff',
        // The page names each file by its content hash, so those URLs never change meaning.
        'cache-control': version === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers).end();
        return true;
      }
      let body = asset.body;
      if (asset.type !== WOFF2 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        // 1.4 MB of scripts and styles shrink to a third: it matters on a 10 Mbps commune link.
        asset.gzipped ??= gzipSync(asset.body, { level: 9 });
        body = asset.gzipped;
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
