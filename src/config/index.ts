// The config module's public surface.
export { loadConfig, parseConfig, DEFAULT_CONFIG_PATH, type ConfigIssue } from './load.js';
export { configSchema, type AirgapConfig } from './schema.js';
export * from './targets.js';
