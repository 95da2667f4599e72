import { context, createContextKey, type Context } from '@opentelemetry/api';

/** Marks the context an attempt is sent in, so HTTP client instrumentation can skip what the mesh already traces. */
const MESH_ATTEMPT = createContextKey('trellis.mesh.attempt');

export function markMeshAttempt(ctx: Context): Context {
  return ctx.setValue(MESH_ATTEMPT, true);
}

/**
 * True inside a mesh attempt. Give it to undici instrumentation's `ignoreRequestHook` so each
 * attempt gets one CLIENT span (the mesh's, with retry and endpoint attributes), not two.
 */
export function isInsideMeshAttempt(ctx: Context = context.active()): boolean {
  return ctx.getValue(MESH_ATTEMPT) === true;
}
