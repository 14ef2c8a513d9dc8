// The one interface every gap driver implements (Redfish, IPMI, script, Wake-on-LAN). The readiness and
// shutdown sequences (open.ts, close.ts) are written once against it, so a driver only knows its protocol.

export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff' | 'Paused' | 'Unknown';

/** unknown = the BMC cannot tell (no Dell LC service, no BootProgress, no HPE PostState). */
export type PostState = 'in-post' | 'past-post' | 'unknown';

export type DriverKind = 'redfish' | 'ipmi' | 'script' | 'wol';

export interface GapDriver {
  readonly kind: DriverKind;
  /**
   * false when the driver has no way to read the power state at all (Wake-on-LAN without a probe):
   * the readiness sequence then skips the power stage instead of waiting for a state that never comes.
   */
  readonly canReadPowerState?: boolean;
  /** For logs: the driver kind, target name and address; never a secret. */
  describe(): string;
  powerState(signal?: AbortSignal): Promise<PowerState>;
  powerOn(signal?: AbortSignal): Promise<void>;
  /** Throws NOT_SUPPORTED where the driver cannot ask for a graceful shutdown (Wake-on-LAN). */
  gracefulOff(signal?: AbortSignal): Promise<void>;
  forceOff(signal?: AbortSignal): Promise<void>;
  postState?(signal?: AbortSignal): Promise<PostState>;
  /** Releases what the driver holds (Redfish sessions); safe to call more than once. */
  dispose?(): Promise<void>;
}

/** Where a driver's human-readable output (script stdout/stderr, retries) goes: the task log. */
export type DriverLog = (line: string) => void;

export const POWER_STATES: readonly PowerState[] = [
  'On',
  'Off',
  'PoweringOn',
  'PoweringOff',
  'Paused',
  'Unknown',
];

/** Maps a state word from any source (Redfish, a script's stdout) to a PowerState, case-insensitively. */
export function parsePowerState(word: string): PowerState {
  const w = word.trim().toLowerCase();
  return POWER_STATES.find((s) => s.toLowerCase() === w) ?? 'Unknown';
}
