import type { Discovery, Endpoint, Resolver } from '@trellis/mesh';
import type { Logger } from 'pino';

/**
 * Follows the endpoint sets of the watched services through discovery, as a mesh would. The
 * resolvers it asked for are its own: it closes them when it closes.
 */
export class DiscoveryWatch {
  readonly #endpoints = new Map<string, readonly Endpoint[]>();
  readonly #resolvers: Resolver[] = [];
  readonly #unsubscribes: (() => void)[] = [];
  readonly #firstSets: Promise<void>;

  constructor(discovery: Discovery, services: readonly string[], logger: Logger) {
    const delivered: Promise<void>[] = [];
    for (const service of services) {
      let resolver: Resolver | undefined;
      try {
        resolver = discovery.resolverFor(service);
      } catch (error) {
        logger.warn(
          { service, err: { message: (error as Error).message } },
          'The dashboard cannot watch this service: discovery refused it',
        );
      }
      if (!resolver) continue;
      this.#resolvers.push(resolver);
      delivered.push(
        new Promise((resolve) => {
          this.#unsubscribes.push(
            resolver.subscribe((endpoints) => {
              this.#endpoints.set(service, endpoints);
              resolve();
            }),
          );
        }),
      );
    }
    this.#firstSets = Promise.all(delivered).then(() => undefined);
  }

  /** Resolves once every service's first set arrived, or after `timeoutMs`, whichever is first. */
  async ready(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#firstSets,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  endpoints(service: string): readonly Endpoint[] {
    return this.#endpoints.get(service) ?? [];
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribes) unsubscribe();
    await Promise.all(this.#resolvers.map((resolver) => resolver.close()));
  }
}
