/**
 * What the load generator tells a parent over IPC: when its measuring window opens and shuts, so
 * the parent samples other processes' CPU over exactly that window.
 */
export const LOAD_EVENTS = { windowStart: 'window-start', windowEnd: 'window-end' } as const;
