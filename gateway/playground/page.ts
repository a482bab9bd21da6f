/**
 * The playground page: GraphiQL from the gateway's own assets, the example tabs, and a note on
 * the token it opens with. The note is plain HTML, so it reads even before the scripts run.
 */
import { createHash } from 'node:crypto';
import type { AssetName, PlaygroundAssets } from './assets';
import { Example, SAMPLE_DOSSIER } from './examples';
import type { SampleToken } from './sample-officer';

export interface PageOptions {
  endpoint: string;
  introspection: boolean;
  examples: Example[];
  /** The sample officer's token in development; null in production. */
  token: SampleToken | null;
  assets: PlaygroundAssets;
  /** The procedure catalogue, for the schema docs ("read by procedures"). */
  procedures?: PlaygroundProcedure[];
}

/** A catalogued procedure as the playground shows it: the fields as the catalogue writes them (`Type.field`, `Type.*`). */
export interface PlaygroundProcedure {
  code: string;
  name: string;
  fields: string[];
}

/** What playground.js reads from the page. */
export interface PageConfig {
  endpoint: string;
  /** Saved tabs live under this key; it changes with the examples and the token, so stale tabs are dropped. */
  storageNamespace: string;
  /** Only a development token may be kept in the browser's storage. */
  persistHeaders: boolean;
  introspection: boolean;
  tabs: { query: string; variables: string; headers: string }[];
  /** playground.js adds "read by procedures" to each field's description in the docs. */
  procedures: PlaygroundProcedure[];
}

export const STORAGE_PREFIX = 'vn-gateway-playground';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** JSON inside a <script> element: `<` escaped so no string can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function tokenNote(options: PageOptions): string {
  const docs = options.introspection
    ? 'Tài liệu lược đồ (schema docs): nút <b>Docs</b> bên trái, mô tả từng kiểu và trường.'
    : 'Cổng này tắt introspection (<code>INTROSPECTION=false</code>): lược đồ công khai ở <code>schema/api.graphql</code>.';
  const token = options.token;
  if (!token) {
    return `<p><b>Chưa có token (no token prefilled).</b> Thêm vào tab <b>Headers</b>:
      <code>{"Authorization": "Bearer &lt;token&gt;"}</code> với token do hệ thống cấp. ${docs}</p>`;
  }
  const scopes = token.scopes.map((s) => `<code class="pg-scope">${escapeHtml(s)}</code>`).join(' ');
  return `<p><b>Token phát triển (development token)</b> cho cán bộ mẫu <code>${escapeHtml(token.subject)}</code>
      (hệ thống <code>${escapeHtml(token.clientId)}</code>), đã điền sẵn trong tab <b>Headers</b>.</p>
    <dl class="pg-claims">
      <dt>Phạm vi (scopes)</dt><dd data-testid="token-scopes">${scopes}</dd>
      <dt>Địa bàn (jurisdiction)</dt><dd data-testid="token-jurisdiction">${escapeHtml(token.jurisdiction)} (${escapeHtml(token.jurisdictionName)})</dd>
      <dt>Mục đích (purpose)</dt><dd>${escapeHtml(token.purpose)}</dd>
      <dt>Hết hạn (expires)</dt><dd>${escapeHtml(token.expiresAt.replace('T', ' ').slice(0, 16))} UTC</dd>
    </dl>
    <p>Các tab là truy vấn mẫu của từng đối tượng (examples per persona). Tab của hệ thống TTHC gửi thủ tục và số hồ sơ
      trong <b>Headers</b> (<code>x-procedure</code>, <code>x-dossier</code>): chỉ đọc được các trường danh mục thủ tục cho phép;
      đổi <code>x-procedure</code> để thử thủ tục khác. ${docs} Mô tả mỗi trường ghi các thủ tục được đọc nó (read by procedures).</p>`;
}

export function pageConfig(options: PageOptions): PageConfig {
  // A persona's tab names its procedure and a sample dossier, as a TTHC system does on every request.
  const headersOf = (example: Example) => {
    // Production prefills nothing (the caller pastes its own headers; the example's comment names the procedure).
    if (!options.token) return '';
    const headers: Record<string, string> = {
      Authorization: `Bearer ${options.token.token}`,
      ...(example.procedure ? { 'x-procedure': example.procedure, 'x-dossier': SAMPLE_DOSSIER } : {}),
    };
    return JSON.stringify(headers, null, 2);
  };
  const tabs = options.examples.map((example) => ({ query: example.query, variables: JSON.stringify(example.variables, null, 2), headers: headersOf(example) }));
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(tabs.map((t) => [t.query, t.variables])))
    .update(options.token?.token ?? '')
    .digest('hex')
    .slice(0, 12);
  return {
    endpoint: options.endpoint,
    storageNamespace: `${STORAGE_PREFIX}:${fingerprint}`,
    persistHeaders: options.token !== null,
    introspection: options.introspection,
    tabs,
    procedures: options.procedures ?? [],
  };
}

/** Roboto Mono for queries and results, by subset (ranges as @fontsource/roboto-mono declares them). */
function monoFontFaces(assets: PlaygroundAssets): string {
  const faces: [AssetName, string][] = [
    ['roboto-mono-vietnamese.woff2', 'U+0102-0103,U+0110-0111,U+0128-0129,U+0168-0169,U+01A0-01A1,U+01AF-01B0,U+0300-0301,U+0303-0304,U+0308-0309,U+0323,U+0329,U+1EA0-1EF9,U+20AB'],
    ['roboto-mono-latin-ext.woff2', 'U+0100-02BA,U+02BD-02C5,U+02C7-02CC,U+02CE-02D7,U+02DD-02FF,U+1D00-1DBF,U+1E00-1E9F,U+1EF2-1EFF,U+2020,U+20A0-20AB,U+20AD-20C0,U+2113,U+2C60-2C7F,U+A720-A7FF'],
    ['roboto-mono-latin.woff2', 'U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+2000-206F,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+FEFF,U+FFFD'],
  ];
  return faces
    .map(([name, range]) => `@font-face{font-family:'Roboto Mono';font-weight:400;font-display:swap;src:url(${assets.url(name)}) format('woff2');unicode-range:${range}}`)
    .join('');
}

export function renderPage(options: PageOptions): string {
  const { assets } = options;
  return `<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Playground · Cổng dữ liệu xã</title>
  <link rel="stylesheet" href="${assets.url('graphiql.min.css')}">
  <link rel="stylesheet" href="${assets.url('playground.css')}">
  <style>${monoFontFaces(assets)}</style>
</head>
<body>
  <header class="pg-note" data-testid="playground-note">
    <h1>Cổng dữ liệu xã · GraphQL playground</h1>
    ${tokenNote(options)}
  </header>
  <main id="graphiql">Đang tải GraphiQL… (loading)</main>
  <script type="application/json" id="playground-config">${scriptJson(pageConfig(options))}</script>
  <script src="${assets.url('react.production.min.js')}"></script>
  <script src="${assets.url('react-dom.production.min.js')}"></script>
  <script src="${assets.url('graphiql.min.js')}"></script>
  <script src="${assets.url('playground.js')}"></script>
</body>
</html>
`;
}
