/**
 * Signed checkpoints of the audit chain's head. Every `every` entries, every `intervalMs` while
 * entries arrive, and at a clean shutdown, the sink signs (Ed25519, a key of its own) the seq and
 * hash of the newest entry and stores the signature apart from the log (a file of its own, or a
 * table of its own). Someone who can rewrite the log cannot forge them without the key, so
 * verification with the public key catches:
 *  - truncation: the log ends before the last checkpoint's entry;
 *  - deletion or change of entries followed by recomputing every later hash: the entry at a
 *    checkpoint's seq no longer has the signed hash (or is missing).
 * What it cannot catch: entries written after the newest checkpoint (at most `every` entries or
 * `intervalMs` of them) being cut off together with nothing else changed.
 *
 * The file sink links its checkpoints (`v: 2`): each also signs `prev`, the digest of the
 * checkpoint before it, so none can be removed from the middle or the start of the file unseen,
 * and the newest one, kept elsewhere, vouches for every earlier one. Checkpoints written before
 * (and the PostgreSQL sink's) are `v: 1`, without `prev`, and still verify. Removing the newest
 * checkpoints together with the entries after them (a roll-back to an earlier signed state) can
 * only be seen against an outside record of the newest checkpoint, or by its age.
 */
import { createHash, createPublicKey, KeyObject, JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '../ed25519';
import { keyObjectFromJwk } from '../keys';

/** A checkpoint without a link to the one before it (older files; the PostgreSQL sink). */
export const CHECKPOINT_VERSION = 1;
/** A checkpoint that also signs the digest of the one before it (`prev`). */
export const LINKED_CHECKPOINT_VERSION = 2;
/** `prev` of the first linked checkpoint of a file that holds no checkpoint before it. */
export const NO_EARLIER_CHECKPOINT = '0'.repeat(64);

export interface Checkpoint {
  v: number;
  /** The entry signed: its seq and hash (the chain's head when it was signed). */
  seq: number;
  hash: string;
  /** When it was signed (ISO). */
  at: string;
  /** The signing key's id. */
  kid: string;
  /** Ed25519 signature, base64url, over `signedText(checkpoint)`. */
  sig: string;
  /** `v: 2`: `checkpointDigest` of the checkpoint before it, or NO_EARLIER_CHECKPOINT. */
  prev?: string;
}

export function signedText(c: Pick<Checkpoint, 'v' | 'seq' | 'hash' | 'at' | 'kid' | 'prev'>): string {
  const fields: unknown[] = ['vn-commune-gateway audit checkpoint', c.v, c.seq, c.hash, c.at, c.kid];
  if (c.v === LINKED_CHECKPOINT_VERSION) fields.push(c.prev);
  return JSON.stringify(fields);
}

/** What the next linked checkpoint signs as its `prev`: a digest of everything this one signs. */
export function checkpointDigest(c: Checkpoint): string {
  return createHash('sha256').update(signedText(c)).digest('hex');
}

export interface CheckpointSigner {
  kid: string;
  /** With `prev`, a linked checkpoint (`v: 2`); without, an unlinked one (`v: 1`). */
  sign(seq: number, hash: string, at?: Date, prev?: string): Checkpoint;
  /** The public half, as a JWK, for exports and verification. */
  publicJwk: JsonWebKey & { kid: string };
}

export interface CheckpointVerifier {
  kid: string;
  publicJwk: JsonWebKey & { kid: string };
  /** Null when the checkpoint is well-formed and signed by this key, else what is wrong. */
  check(value: unknown): string | null;
}

function readJwk(path: string): JsonWebKey & { kid?: string } {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = JSON.parse(text.split('\n')[0]); // an export: the key is its first line
    }
  } catch {
    throw new Error(`cannot read the audit checkpoint key from ${path}`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  const exported = (parsed as { publicKey?: unknown }).publicKey; // an export's first line
  const key = (Array.isArray(keys) ? keys[0] : exported ?? parsed) as JsonWebKey & { kid?: string };
  if (!key || key.kty !== 'OKP' || key.crv !== 'Ed25519') throw new Error(`${path} does not hold an Ed25519 key (JWK, kty OKP, crv Ed25519)`);
  return key;
}

function publicJwkOf(key: KeyObject, kid: string): JsonWebKey & { kid: string } {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid, alg: 'EdDSA', use: 'sig' } as JsonWebKey & { kid: string };
}

/** The signer from a private JWK file (`AUDIT_CHECKPOINT_KEY_FILE`). */
export function loadCheckpointSigner(path: string): CheckpointSigner {
  const jwk = readJwk(path);
  if (!jwk.d) throw new Error(`${path} holds a public key; the gateway needs the private audit checkpoint key`);
  const privateKey = keyObjectFromJwk(jwk, 'private');
  const signer = ed25519.signer(privateKey);
  const kid = jwk.kid ?? 'audit-checkpoint';
  return {
    kid,
    publicJwk: publicJwkOf(privateKey, kid),
    sign(seq, hash, at = new Date(), prev) {
      const common = { seq, hash, at: at.toISOString(), kid };
      const unsigned = prev === undefined ? { v: CHECKPOINT_VERSION, ...common } : { v: LINKED_CHECKPOINT_VERSION, ...common, prev };
      return { ...unsigned, sig: signer.sign(Buffer.from(signedText(unsigned))).toString('base64url') };
    },
  };
}

/** A verifier from a JWK file holding the public key (or the private one, or an export). */
export function loadCheckpointVerifier(path: string): CheckpointVerifier {
  return checkpointVerifierOf(readJwk(path));
}

export function checkpointVerifierOf(jwk: JsonWebKey & { kid?: string }): CheckpointVerifier {
  const publicKey = keyObjectFromJwk({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'public');
  const verifier = ed25519.verifier(publicKey);
  const kid = jwk.kid ?? 'audit-checkpoint';
  return {
    kid,
    publicJwk: publicJwkOf(publicKey, kid),
    check(value) {
      const c = value as Partial<Checkpoint> | null;
      if (!c || typeof c !== 'object' || !Number.isSafeInteger(c.seq) || (c.seq as number) < 1) return 'it is not a well-formed checkpoint';
      if (typeof c.hash !== 'string' || typeof c.at !== 'string' || typeof c.kid !== 'string' || typeof c.sig !== 'string') return 'it is not a well-formed checkpoint';
      const linked = c.v === LINKED_CHECKPOINT_VERSION && typeof c.prev === 'string' && /^[0-9a-f]{64}$/.test(c.prev);
      const unlinked = c.v === CHECKPOINT_VERSION && c.prev === undefined;
      if (!linked && !unlinked) return 'it is not a well-formed checkpoint';
      if (c.kid !== kid) return `it was signed by key "${c.kid}", not by the key given ("${kid}")`;
      const ok = verifier.verify(Buffer.from(signedText(c as Checkpoint)), Buffer.from(c.sig, 'base64url'));
      return ok ? null : 'its signature does not verify (the checkpoint was changed or forged)';
    },
  };
}

export interface CheckpointSettings {
  signer: CheckpointSigner;
  /** Sign after this many entries (a checkpoint whenever the head crosses a multiple of it). */
  every: number;
  /** And this often while the head has moved, in ms. */
  intervalMs: number;
  /** Replaces setInterval (tests drive the timer themselves); returns a function that stops it. */
  schedule?: (tick: () => void, ms: number) => () => void;
}

export const DEFAULT_CHECKPOINT_EVERY = 1000;
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

/** Whether a batch taking the head from `before` to `after` crosses a multiple of `every`. */
export function checkpointDue(before: number, after: number, every: number): boolean {
  return Math.floor(after / every) > Math.floor(before / every);
}

export function startTimer(settings: CheckpointSettings, tick: () => void): () => void {
  if (settings.schedule) return settings.schedule(tick, settings.intervalMs);
  const timer = setInterval(tick, settings.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface CheckedCheckpoints {
  ok: true;
  /** The signed head hashes by seq. */
  heads: Map<number, string>;
  /** The highest seq signed (0: none). */
  last: number;
  /** The last checkpoint in order (null: none): its time tells how fresh the signatures are. */
  newest: Checkpoint | null;
  /** What the next linked checkpoint signs as `prev`. */
  nextPrev: string;
}

/** Null when a linked checkpoint follows `before` (the one before it in order, or none), else what is wrong. */
function linkProblem(c: Checkpoint, before: Checkpoint | null): string | null {
  if (c.v !== LINKED_CHECKPOINT_VERSION) {
    return before?.v === LINKED_CHECKPOINT_VERSION ? 'an unlinked checkpoint follows linked ones (it was moved or inserted)' : null;
  }
  const expected = before ? checkpointDigest(before) : NO_EARLIER_CHECKPOINT;
  if (c.prev !== expected) return 'it does not link to the checkpoint before it (a checkpoint was removed, reordered or inserted)';
  if (before && c.seq < before.seq) return `it signs entry ${c.seq}, before the checkpoint ahead of it (entry ${before.seq})`;
  return null;
}

/**
 * Checks each checkpoint, in their order, against the verifier, and each linked one against the
 * one before it. Returns the signed heads by seq, or the first checkpoint (by its position) that
 * is wrong.
 */
export function checkCheckpoints(
  checkpoints: Array<{ value: unknown; position: number }>,
  verifier: CheckpointVerifier,
): CheckedCheckpoints | { ok: false; position: number; problem: string } {
  const heads = new Map<number, string>();
  let last = 0;
  let before: Checkpoint | null = null;
  for (const { value, position } of checkpoints) {
    const problem = verifier.check(value);
    if (problem) return { ok: false, position, problem };
    const c = value as Checkpoint;
    const unlinked = linkProblem(c, before);
    if (unlinked) return { ok: false, position, problem: unlinked };
    const known = heads.get(c.seq);
    if (known !== undefined && known !== c.hash) return { ok: false, position, problem: `it signs a different hash for entry ${c.seq} than an earlier checkpoint` };
    heads.set(c.seq, c.hash);
    last = Math.max(last, c.seq);
    before = c;
  }
  return { ok: true, heads, last, newest: before, nextPrev: before ? checkpointDigest(before) : NO_EARLIER_CHECKPOINT };
}

/**
 * Why a log of `entries` entries whose newest signed checkpoint covers `lastSigned` holds more
 * unsigned entries than the policy leaves, or null. The sink signs whenever the head reaches a
 * multiple of `every` and writes no entry past the next multiple before that checkpoint is
 * written, so a crash between writing and signing leaves at most `every` entries unsigned. More
 * means checkpoints were removed (or never written: a log older than its key).
 */
export function unsignedTailProblem(entries: number, lastSigned: number, every: number): string | null {
  const unsigned = entries - lastSigned;
  if (unsigned <= every) return null;
  const newest = lastSigned ? `its newest signed checkpoint covers entry ${lastSigned}` : 'it has no signed checkpoint';
  return `the log holds ${entries} entries but ${newest}: ${unsigned} entries unsigned, more than the ${every} (AUDIT_CHECKPOINT_EVERY) a crash can leave; checkpoints were removed, or never written`;
}

/** The first line of an export (`npm run audit:checkpoints -- --export`): the key that verifies the rest. */
export const EXPORT_KEY_TYPE = 'audit-checkpoint-key';

/** Checkpoint lines as stored or exported: an export's key line is not a checkpoint. */
export function withoutKeyLines<T extends { value: unknown }>(items: T[]): T[] {
  return items.filter((item) => (item.value as { type?: unknown } | null)?.type !== EXPORT_KEY_TYPE);
}
