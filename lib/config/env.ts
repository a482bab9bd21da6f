/** Reading variables: the shared value rules and the parser whose messages name each bad variable. */
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export const port = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();
export const nonNegativeInt = z.coerce.number().int().min(0);
/** The secret of `POST /cache/invalidate`, shared by the gateway and the subgraphs. */
export const cacheInvalidationToken = z.string().min(32, 'use at least 32 characters (a random secret)').optional();
export const rate = z.coerce.number().min(0).max(1);
export const httpUrl = z.url({ protocol: /^https?$/ });
export const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, message: 'expected postgres://… or postgresql://…' });
export const redisUrl = z.string().regex(/^rediss?:\/\//, 'expected redis://… or rediss://…');
export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A URL's password is never repeated in a message. */
function withoutPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#@]*@/i, '$1:***@');
}

/** Parses `env` against `shape`, naming each offending variable on failure. */
export function read<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  // Empty strings mean "unset", as they do in most shells and container specs.
  const cleaned: Env = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${JSON.stringify(withoutPassword(env[name] ?? ''))}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

export function isProduction(env: Env): boolean {
  return env.NODE_ENV === 'production';
}
