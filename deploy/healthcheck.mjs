// The image's HEALTHCHECK: GET /health on this container's own port; exit 0 when it answers 200.
// Plain Node (the slim image has no curl); a subgraph's container sets HEALTH_PORT to its port.
const port = process.env.HEALTH_PORT || process.env.PORT || '4000';
const deadline = AbortSignal.timeout(2500);
fetch(`http://127.0.0.1:${port}/health`, { signal: deadline }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
