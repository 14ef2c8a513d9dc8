// The BMC simulator's public surface.
export { startBmcSim, type BmcSim, type BmcSimOptions, type BmcSimFaults } from './server.js';
export type { PoweredCommand } from './host.js';
