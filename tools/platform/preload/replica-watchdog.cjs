/* global process, setTimeout */
// Preloaded (`node --require`) into every replica the launcher starts, with an IPC channel to it.
// When the launcher is gone (stopped, killed with SIGKILL, crashed), the operating system closes
// that channel; the replica then drains as on SIGTERM and exits, so it never outlives the launcher.
'use strict';

if (process.channel) {
  // The channel only watches the launcher; it must not keep the replica's event loop alive.
  process.channel.unref();
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
    // Should the drain itself hang, leave anyway.
    setTimeout(() => process.exit(1), 30_000).unref();
  });
}
