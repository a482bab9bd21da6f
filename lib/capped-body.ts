/**
 * A message body read whole, up to a limit: refused as soon as its declared length, or the bytes
 * so far, pass it, so an oversized body is never buffered. One reader for the request bodies
 * the gateway and subgraphs serve, the answers the gateway reads from subgraphs and the answers
 * subgraphs read from sources; each caller says what a refusal is in its own terms.
 */
export async function readCappedBytes(
  body: AsyncIterable<Buffer>,
  declaredLength: string | undefined,
  limitBytes: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  if (Number(declaredLength) > limitBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop by a throw ends the stream: the rest is not read.
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limitBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
