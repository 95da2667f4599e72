import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** A real OpenTelemetry SDK for this test process, exporting to memory. */
export function installInMemoryTracing(): {
  exporter: InMemorySpanExporter;
  finishedSpans: () => Promise<ReturnType<InMemorySpanExporter['getFinishedSpans']>>;
} {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.disable();
  context.disable();
  propagation.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  // Export is asynchronous: flush before reading.
  return {
    exporter,
    finishedSpans: async () => {
      await provider.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}
