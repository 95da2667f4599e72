import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** OTLP span kinds as the JSON encoding numbers them. */
export const SpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export type AttributeValue = string | number | boolean | undefined;

export interface ReceivedEvent {
  readonly name: string;
  readonly attributes: Record<string, AttributeValue>;
}

/** One span as the receiver got it, with the service and instrumentation scope it came from. */
export interface ReceivedSpan {
  readonly service: string;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, AttributeValue>;
  readonly events: readonly ReceivedEvent[];
}

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpKeyValue[];
  events?: { name: string; attributes?: OtlpKeyValue[] }[];
}
interface OtlpTraceRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

function attributeMap(attributes: readonly OtlpKeyValue[] = []): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const { key, value } of attributes) {
    map[key] =
      value?.stringValue ??
      (value?.intValue === undefined ? undefined : Number(value.intValue)) ??
      value?.doubleValue ??
      value?.boolValue;
  }
  return map;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/**
 * A tiny OTLP/HTTP receiver for `http/json`: keeps every span posted to `/v1/traces`, answers
 * 200 to the other signals (metrics, logs) without keeping them, 415 to protobuf.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every request received, by path, whatever the signal. */
  readonly requests: string[] = [];
  readonly errors: string[] = [];

  private readonly server: Server = createServer((request, response) => {
    this.handle(request).then(
      (status) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end('{}');
      },
      (error: unknown) => {
        this.errors.push(String(error));
        response.writeHead(400).end();
      },
    );
  });

  private constructor() {}

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** For `OTEL_EXPORTER_OTLP_ENDPOINT`: the exporters append `/v1/traces` and so on. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  spansOf(service: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.service === service);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage): Promise<number> {
    const path = request.url ?? '';
    this.requests.push(`${request.method} ${path}`);
    const body = await readBody(request);
    if (request.method !== 'POST') return 405;
    if (path !== '/v1/traces') return 200;
    if (!String(request.headers['content-type']).includes('application/json')) {
      this.errors.push(`unexpected content-type ${request.headers['content-type']}`);
      return 415;
    }
    const payload = JSON.parse(body.toString('utf8')) as OtlpTraceRequest;
    for (const resourceSpans of payload.resourceSpans ?? []) {
      const resource = attributeMap(resourceSpans.resource?.attributes);
      const service = String(resource['service.name']);
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        const scope = scopeSpans.scope?.name ?? '';
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            service,
            scope,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            attributes: attributeMap(span.attributes),
            events: (span.events ?? []).map((event) => ({
              name: event.name,
              attributes: attributeMap(event.attributes),
            })),
          });
        }
      }
    }
    return 200;
  }
}
