/**
 * Paging cursors that carry a position without showing it. A source may page by the last personal
 * ID it returned; passed on as it is, `pageInfo.endCursor` would hand that ID to a caller who
 * asked for no one's data (and no purpose, and no audit entry). A sealed cursor is AES-256-GCM
 * under a key every replica of the subgraph derives from the same secret, bound to the listing it
 * pages: a cursor of one commune's residents does not open for another's, and a forged or altered
 * one does not open at all.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface CursorSealer {
  /** The opaque cursor for `position` in `listing` (a commune's residents: `residents:07210`). */
  seal(position: string, listing: string): string;
  /** The position, or null for a cursor this sealer did not make for `listing`. */
  open(cursor: string, listing: string): string | null;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * `secret` is one the replicas share (population derives it from its jurisdiction signing key);
 * without one, a key of this process alone: cursors still show nothing, but only this process can
 * continue them.
 */
export function createCursorSealer(secret: Uint8Array | null, use: string): CursorSealer {
  const key = secret ? Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `vn-commune-gateway cursor: ${use}`, 32)) : randomBytes(32);
  return {
    seal(position, listing) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(listing));
      const sealed = Buffer.concat([cipher.update(position, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url');
    },
    open(cursor, listing) {
      const bytes = Buffer.from(cursor, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(listing));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}
