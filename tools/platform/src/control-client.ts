/** The CLI's side of the control API. */

/** Nothing answers where the launcher should be. */
export class NoLauncherError extends Error {
  constructor(detail?: string) {
    super(`no running platform found: start it with \`npm start\`${detail ? ` (${detail})` : ''}`);
    this.name = 'NoLauncherError';
  }
}

/** The launcher refused the request; the message is its own. */
export class ControlRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlRequestError';
  }
}

export class ControlClient {
  constructor(
    readonly baseUrl: string,
    readonly source: string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.#call<T>('POST', path, body);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (!URL.canParse(this.baseUrl)) {
      throw new NoLauncherError(`${this.source} gives "${this.baseUrl}", which is not a URL`);
    }
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        // A heal or a scale waits for replicas to become ready, which can take a while.
        signal: AbortSignal.timeout(120_000),
        ...(body !== undefined && {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new ControlRequestError(0, 'ERR_TIMEOUT', 'the launcher did not answer within 120 s');
      }
      throw new NoLauncherError(`${this.baseUrl} from ${this.source} does not answer`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ControlRequestError(
        response.status,
        'ERR_NOT_JSON',
        `${this.baseUrl} is not a Trellis launcher (it answered ${response.status}: ${text.slice(0, 80)})`,
      );
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new ControlRequestError(
        response.status,
        error?.code ?? 'ERR_CONTROL',
        error?.message ?? `the launcher answered ${response.status}`,
      );
    }
    return parsed as T;
  }
}
