import { z } from 'zod';

const count = z.number().finite().nonnegative();

const callTotals = z.object({
  calls: count,
  failed: count,
  durationCounts: z.array(count),
});

const endpointSnapshot = z.object({
  key: z.string(),
  address: z.string(),
  port: z.number().int(),
  draining: z.boolean(),
  ejected: z.boolean(),
  pending: count,
  sent: count,
  ewmaMs: count,
  metadata: z.record(z.string(), z.string()).default({}),
});

const upstreamSnapshot = z.object({
  name: z.string(),
  // A state this dashboard does not know yet reads as closed rather than failing the instance.
  breaker: z.enum(['off', 'closed', 'open', 'halfOpen']).catch('closed'),
  panic: z.boolean(),
  endpoints: z.array(endpointSnapshot),
  calls: callTotals.default({ calls: 0, failed: 0, durationCounts: [] }),
});

/** Every event has these; the rest (endpoint, reason, attempt...) depends on its type. */
const meshEvent = z
  .object({ type: z.string(), upstream: z.string(), at: z.number().finite() })
  .loose();

/** The parts of a `GET /mesh` answer (`MeshAdminView` of @trellis/mesh-express) the dashboard reads. */
export const meshAdminViewSchema = z.object({
  service: z.string(),
  instance: z.string().nullable(),
  ready: z.boolean(),
  draining: z.boolean(),
  inFlight: count,
  shed: z.record(z.string(), count),
  upstreams: z.array(upstreamSnapshot),
  recentEvents: z.array(meshEvent),
});

export type MeshReadingView = z.infer<typeof meshAdminViewSchema>;
export type UpstreamReading = MeshReadingView['upstreams'][number];
export type EndpointReading = UpstreamReading['endpoints'][number];
export type MeshEventReading = MeshReadingView['recentEvents'][number];

/** One `/mesh` answer and when it arrived (epoch ms). */
export interface MeshReading {
  at: number;
  view: MeshReadingView;
}
