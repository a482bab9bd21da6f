/**
 * Extra HTTP routes on the gateway's server beside `/graphql`, `/health` and `/ready`: the
 * playground, metrics and the like. A route looks at the request and, when it is its own, answers
 * it and returns true; otherwise it returns false and touches nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;
