/** What the launcher tells `onEvent` as it goes; every event carries a line a person can read. */
export type PlatformEvent =
  | { type: 'replica-starting'; replica: string; message: string }
  | { type: 'replica-ready'; replica: string; url: string; startMs: number; message: string }
  | {
      type: 'replica-exited';
      replica: string;
      exitCode: number | null;
      signal: string | null;
      lastLines: string[];
      logFile: string;
      message: string;
    }
  | { type: 'port-taken'; replica: string; port: number; using: number; message: string }
  | { type: 'replica-killed'; replica: string; message: string }
  | { type: 'replica-stopping'; replica: string; message: string }
  | { type: 'replica-stopped'; replica: string; message: string }
  | { type: 'stopped'; message: string };

export type PlatformEventListener = (event: PlatformEvent) => void;
