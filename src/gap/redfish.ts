// The Redfish gap driver (iDRAC first, any Redfish BMC): discovers the system, its reset action and the
// reset types it allows, instead of hard-coding vendor paths; reads POST completion where the BMC can tell.
import { AirgapError } from '../errors.js';
import type { DriverLog, GapDriver, PostState, PowerState } from './driver.js';
import { parsePowerState } from './driver.js';
import {
  createRedfishClient,
  errorText,
  messageIds,
  type RedfishClientOptions,
  type RedfishResponse,
} from './redfish-client.js';
import { deadlineSignal, sleep } from './wait.js';

export interface RedfishDriverOptions extends RedfishClientOptions {
  systemId?: string | undefined;
  taskTimeoutMs?: number | undefined;
  log?: DriverLog | undefined;
}

interface Discovery {
  systemPath: string;
  resetTarget: string;
  allowed: string[] | null; // null: the BMC does not say; try and let it answer
  managerPath: string | undefined;
  dell: boolean;
}

type Json = Record<string, unknown>;

const ROOT = '/redfish/v1';

export function createRedfishDriver(o: RedfishDriverOptions): GapDriver {
  const client = createRedfishClient(o);
  const what = client.what;
  let discovered: Promise<Discovery> | undefined;

  async function getJson(path: string, signal?: AbortSignal): Promise<Json> {
    const res = await client.request('GET', path, undefined, signal);
    return expectJson(res, `GET ${path}`);
  }

  function expectJson(res: RedfishResponse, action: string): Json {
    if (res.status === 404 && action.startsWith(`GET ${ROOT}`) && action.length <= `GET ${ROOT}/`.length)
      throw new AirgapError(
        'BMC_PROTOCOL',
        `the ${what} has no Redfish service (404): Redfish may be disabled on the BMC`,
      );
    if (res.status < 200 || res.status > 299) {
      const text = errorText(res.body);
      throw new AirgapError(
        'BMC_PROTOCOL',
        `the ${what} answered ${action} with HTTP ${res.status}${text ? ': ' + text : ''}`,
      );
    }
    if (!res.body || typeof res.body !== 'object')
      throw new AirgapError('BMC_PROTOCOL', `the ${what} answered ${action} without a JSON body`);
    return res.body as Json;
  }

  async function discover(signal?: AbortSignal): Promise<Discovery> {
    const root = await getJson(ROOT, signal);
    const systemsPath = odataId(root.Systems) ?? `${ROOT}/Systems`;
    const members = memberPaths(await getJson(systemsPath, signal));
    if (members.length === 0) throw new AirgapError('BMC_PROTOCOL', `the ${what} lists no computer system`);
    let systemPath = members[0]!;
    if (o.systemId) {
      const id = o.systemId;
      const found = members.find((m) => m.replace(/\/+$/, '').split('/').pop() === id);
      if (!found)
        throw new AirgapError(
          'CONFIG',
          `the ${what} has no system ${id} (it has ${members.map(lastSegment).join(', ')})`,
        );
      systemPath = found;
    } else if (members.length > 1)
      o.log?.(`${what} has ${members.length} systems; using ${systemPath} (set systemId to choose)`);
    const sys = await getJson(systemPath, signal);
    const actions = (sys.Actions ?? {}) as Json;
    const reset = actions['#ComputerSystem.Reset'] as Json | undefined;
    const resetTarget = typeof reset?.target === 'string' ? reset.target : undefined;
    if (!reset || !resetTarget)
      throw new AirgapError(
        'BMC_PROTOCOL',
        `the ${what} offers no ComputerSystem.Reset action on ${systemPath}`,
      );
    let allowed: string[] | null = stringArray(reset['ResetType@Redfish.AllowableValues']);
    const infoPath =
      odataId(reset['@Redfish.ActionInfo']) ??
      (typeof reset['@Redfish.ActionInfo'] === 'string'
        ? (reset['@Redfish.ActionInfo'] as string)
        : undefined);
    if (!allowed && infoPath) {
      const info = await getJson(infoPath, signal);
      const params = Array.isArray(info.Parameters) ? (info.Parameters as Json[]) : [];
      allowed = stringArray(params.find((p) => p.Name === 'ResetType')?.AllowableValues);
    }
    const links = (sys.Links ?? {}) as Json;
    const managedBy = Array.isArray(links.ManagedBy) ? odataId(links.ManagedBy[0]) : undefined;
    let managerPath = managedBy;
    if (!managerPath && root.Managers) {
      const mgrs = memberPaths(
        await getJson(odataId(root.Managers) ?? `${ROOT}/Managers`, signal).catch(() => ({})),
      );
      managerPath = mgrs[0];
    }
    const oem = (root.Oem ?? {}) as Json;
    const dell =
      (managerPath ?? '').includes('iDRAC') ||
      root.Vendor === 'Dell' ||
      'Dell' in oem ||
      /^Dell/i.test(String(sys.Manufacturer ?? ''));
    return { systemPath, resetTarget, allowed, managerPath, dell };
  }

  function discovery(signal?: AbortSignal): Promise<Discovery> {
    if (!discovered) {
      discovered = discover(signal);
      discovered.catch(() => (discovered = undefined));
    }
    return discovered;
  }

  async function powerState(signal?: AbortSignal): Promise<PowerState> {
    const d = await discovery(signal);
    const sys = await getJson(d.systemPath, signal);
    return typeof sys.PowerState === 'string' ? parsePowerState(sys.PowerState) : 'Unknown';
  }

  /** POSTs a reset; "already in that state" (iDRAC 409 PSU501, iLO 400) is success when a re-read agrees. */
  async function reset(type: string, want: 'On' | 'Off', signal?: AbortSignal): Promise<void> {
    const d = await discovery(signal);
    if (d.allowed && !d.allowed.includes(type))
      throw new AirgapError(
        'NOT_SUPPORTED',
        `the ${what} does not allow ResetType ${type} (allowed: ${d.allowed.join(', ')})`,
      );
    const res = await client.request('POST', d.resetTarget, { ResetType: type }, signal);
    if (res.status === 200 || res.status === 201 || res.status === 204) return;
    if (res.status === 202) return followTask(res, type, signal);
    const ids = messageIds(res.body);
    const text = errorText(res.body);
    if (res.status === 409 || res.status === 400) {
      const state = await powerState(signal);
      const onItsWay = want === 'On' ? state === 'PoweringOn' : state === 'PoweringOff';
      if (state === want || onItsWay) {
        o.log?.(
          `${what}: ${type} not needed, the host is already ${state}${ids.length ? ' (' + ids.join(', ') + ')' : ''}`,
        );
        return;
      }
    }
    throw new AirgapError(
      'POWER_FAILED',
      `the ${what} refused ResetType ${type} (HTTP ${res.status}${ids.length ? ' ' + ids.join(', ') : ''})${text ? ': ' + text : ''}`,
    );
  }

  async function followTask(res: RedfishResponse, type: string, signal?: AbortSignal): Promise<void> {
    const loc = res.headers.location;
    const monitor = Array.isArray(loc) ? loc[0] : loc;
    if (!monitor) return; // accepted without a monitor: the power state polling will tell
    const path = new URL(monitor, 'https://bmc').pathname;
    const sig = deadlineSignal(o.taskTimeoutMs ?? 120_000, signal);
    try {
      for (;;) {
        const r = await client.request('GET', path, undefined, sig);
        const body = (r.body ?? {}) as Json;
        const state = String(body.TaskState ?? '');
        if (r.status === 202 || ['New', 'Starting', 'Running', 'Pending', 'Stopping'].includes(state)) {
          await sleep(1000, sig);
          continue;
        }
        if (
          r.status >= 400 ||
          ['Exception', 'Killed', 'Cancelled'].includes(state) ||
          body.TaskStatus === 'Critical'
        )
          throw new AirgapError(
            'POWER_FAILED',
            `the ${what} task for ResetType ${type} failed${errorText(body) ? ': ' + errorText(body) : ''}`,
          );
        return;
      }
    } catch (e) {
      if (sig.aborted && !signal?.aborted)
        throw new AirgapError(
          'POWER_FAILED',
          `the ${what} task for ResetType ${type} did not finish in time`,
        );
      throw e;
    }
  }

  async function postState(signal?: AbortSignal): Promise<PostState> {
    const d = await discovery(signal);
    if (d.dell && d.managerPath) {
      const path = `${d.managerPath.replace(/\/+$/, '')}/Oem/Dell/DellLCService/Actions/DellLCService.GetRemoteServicesAPIStatus`;
      const res = await client.request('POST', path, {}, signal);
      if (res.status >= 200 && res.status < 300 && res.body && typeof res.body === 'object') {
        const s = (res.body as Json).ServerStatus;
        if (typeof s === 'string') return s === 'OutOfPOST' ? 'past-post' : 'in-post';
      }
      // Older iDRAC firmware lacks the action: fall through to the standard property.
    }
    const sys = await getJson(d.systemPath, signal);
    const last = ((sys.BootProgress ?? {}) as Json).LastState;
    if (typeof last === 'string' && last !== 'None' && last !== 'OEM')
      return ['SystemHardwareInitializationComplete', 'OSBootStarted', 'OSRunning'].includes(last)
        ? 'past-post'
        : 'in-post';
    const hpe = (((sys.Oem ?? {}) as Json).Hpe ?? ((sys.Oem ?? {}) as Json).Hp) as Json | undefined;
    if (typeof hpe?.PostState === 'string') {
      if (['FinishedPost', 'InPostDiscoveryComplete'].includes(hpe.PostState)) return 'past-post';
      if (hpe.PostState !== 'Unknown') return 'in-post';
    }
    return 'unknown';
  }

  return {
    kind: 'redfish',
    canReadPowerState: true,
    describe: () => `redfish ${what}${o.insecure ? ' (INSECURE: certificate not checked)' : ''}`,
    powerState,
    powerOn: (signal) => reset('On', 'On', signal),
    async gracefulOff(signal) {
      const d = await discovery(signal);
      if (!d.allowed || d.allowed.includes('GracefulShutdown'))
        return reset('GracefulShutdown', 'Off', signal);
      if (d.allowed.includes('PushPowerButton')) {
        // A button press toggles: on a host that is already off it would power it on.
        const s = await powerState(signal);
        if (s === 'Off') return;
        return reset('PushPowerButton', 'Off', signal);
      }
      throw new AirgapError(
        'NOT_SUPPORTED',
        `the ${what} allows neither GracefulShutdown nor PushPowerButton`,
      );
    },
    forceOff: (signal) => reset('ForceOff', 'Off', signal),
    postState,
    dispose: () => client.logout(),
  };
}

function odataId(v: unknown): string | undefined {
  const id = (v as Json | undefined)?.['@odata.id'];
  return typeof id === 'string' ? id : undefined;
}

function memberPaths(coll: Json): string[] {
  const m = Array.isArray(coll.Members) ? coll.Members : [];
  return m.map(odataId).filter((p): p is string => p !== undefined);
}

function stringArray(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

function lastSegment(p: string): string {
  return p.replace(/\/+$/, '').split('/').pop() ?? p;
}
