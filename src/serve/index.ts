/**
 * Public API of the HTTP server (`rlmkit/serve`): start an OpenAI-compatible server over any
 * policies, or mount its Hono app in your own server.
 */
export { startServer, type ServerOptions, type RunningServer } from './server.js';
export { createServeApp, ServeState, type ServeAppOptions } from './app.js';
export { buildRegistry, splitNamedSpec, defaultModelName } from './build.js';
export { ModelRegistry, staticProvider, type ModelProvider } from './providers.js';
export { HttpError } from './errors.js';
export { DEFAULT_LIMITS, type ServeLimits } from './limits.js';
export { TraceStore } from './traces.js';
export { openApiDocument } from './openapi.js';
export { runHostileLoad, type HostileLoadOptions, type HostileLoadResult } from './hostile-load.js';
