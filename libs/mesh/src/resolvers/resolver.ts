import type { Endpoint } from '../endpoint.js';

/** Called with the complete, current endpoint set each time it changes. */
export type EndpointListener = (endpoints: readonly Endpoint[]) => void;

/**
 * Discovery for one service: pushes whole endpoint sets, never deltas, so a listener can always
 * replace what it holds. A resolver whose source fails keeps the last set it pushed.
 */
export interface Resolver {
  /** Human-readable source, used in logs and errors (e.g. `dns:catalog.shop.svc`). */
  readonly description: string;
  /** Starts delivery; the listener gets the current set at once if one is known. */
  subscribe(listener: EndpointListener): () => void;
  close(): Promise<void>;
}

/** Turns a service name into a resolver for it: how a mesh finds every upstream it is asked for. */
export interface Discovery {
  readonly description: string;
  /** Returns undefined when this discovery has nothing to say about the service. */
  resolverFor(service: string): Resolver | undefined;
  close?(): Promise<void>;
}
