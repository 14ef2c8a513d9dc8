// Gap control's public surface: the driver interface, the open/close sequences and the driver factory.
export type { GapDriver, PowerState, PostState, DriverKind, DriverLog } from './driver.js';
export { openGap, DEFAULT_OPEN_TIMEOUTS, type OpenOptions, type OpenTimeouts } from './open.js';
export { closeGap, DEFAULT_CLOSE_TIMEOUTS, type CloseOptions, type CloseTimeouts } from './close.js';
export type { GapReport, StageEvent } from './stages.js';
export { createDriver, type CreateDriverOptions } from './create.js';
