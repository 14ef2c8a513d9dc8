// The simulator's Redfish resources, shaped like an iDRAC9: System.Embedded.1, iDRAC.Embedded.1, a
// SessionService, Dell's LC service POST status, and iDRAC's answers (204 on success, 409 PSU501 for a
// redundant request, 400 for a reset type it does not allow, 503 RAC0218 when sessions are full).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { SimHost } from './host.js';
import type { SessionStore } from './sessions.js';

export interface ApiFaults {
  /** POST Sessions answers 503 RAC0218, as an iDRAC whose session slots are all taken. */
  refuseSessions?: boolean;
  /** true: every request answers 503; a number: that many requests do, then it recovers. */
  busy?: boolean | number;
  /** Accepts connections and never answers. */
  hang?: boolean;
  /** 404 on the whole service, as an iDRAC with Redfish disabled. */
  redfishDisabled?: boolean;
}

export interface ApiContext {
  host: SimHost;
  sessions: SessionStore;
  username: string;
  password: string;
  faults: ApiFaults;
  /** Where the allowed reset types are published: inline (iDRAC) or via @Redfish.ActionInfo. */
  allowableVia: 'inline' | 'actionInfo';
  log: (line: string) => void;
}

const SYS = '/redfish/v1/Systems/System.Embedded.1';
const MGR = '/redfish/v1/Managers/iDRAC.Embedded.1';
const SESSIONS = '/redfish/v1/SessionService/Sessions';
export const IDRAC_RESET_TYPES = [
  'On',
  'ForceOff',
  'ForceRestart',
  'GracefulShutdown',
  'PushPowerButton',
  'Nmi',
  'PowerCycle',
];

type Json = Record<string, unknown>;

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'OData-Version': '4.0',
    ...(body === undefined
      ? {}
      : { 'Content-Type': 'application/json;odata.metadata=minimal;charset=utf-8' }),
    'Content-Length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}

function notFound(res: ServerResponse, path: string): void {
  send(
    res,
    ...redfishError(404, 'Base.1.12.ResourceMissingAtURI', `The resource at the URI ${path} was not found.`),
  );
}

function redfishError(
  status: number,
  messageId: string,
  message: string,
  code = 'Base.1.12.GeneralError',
): [number, Json] {
  return [
    status,
    {
      error: {
        code,
        message,
        '@Message.ExtendedInfo': [
          {
            MessageId: messageId,
            Message: message,
            Severity: status >= 500 ? 'Critical' : 'Warning',
            Resolution: 'None.',
          },
        ],
      },
    },
  ];
}

function same(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1 << 20) chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', () => resolve(undefined));
  });
}

export function createRedfishHandler(ctx: ApiContext): (req: IncomingMessage, res: ServerResponse) => void {
  const authenticated = (req: IncomingMessage): boolean => {
    const token = req.headers['x-auth-token'];
    if (typeof token === 'string' && token) return ctx.sessions.byToken(token) !== undefined;
    const auth = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(auth);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return false;
    return same(decoded.slice(0, i), ctx.username) && same(decoded.slice(i + 1), ctx.password);
  };

  return (req, res) => {
    if (ctx.faults.hang) return; // the socket stays open and silent until the client gives up
    void handle(req, res).catch((e: Error) => {
      ctx.log(`internal error: ${e.message}`);
      if (!res.headersSent) send(res, ...redfishError(500, 'Base.1.12.InternalError', 'internal error'));
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
    const body = method === 'POST' || method === 'PATCH' ? await readBody(req) : undefined;
    ctx.log(`${method} ${path}`);
    if (ctx.faults.redfishDisabled) return send(res, 404, undefined);
    if (ctx.faults.busy) {
      if (typeof ctx.faults.busy === 'number') ctx.faults.busy--;
      return send(
        res,
        ...redfishError(503, 'IDRAC.2.8.RAC0218', 'The maximum number of user sessions is reached.'),
        { 'Retry-After': '1' },
      );
    }
    const open =
      method === 'GET' &&
      (path === '/redfish' ||
        path === '/redfish/v1' ||
        path === '/redfish/v1/odata' ||
        path === '/redfish/v1/$metadata');
    if (open) return send(res, 200, publicResource(path));
    if (method === 'POST' && path === SESSIONS) return createSession(body, res);
    if (!authenticated(req))
      return send(
        res,
        ...redfishError(
          401,
          'Base.1.12.NoValidSession',
          'Authentication failed: invalid credentials or session.',
        ),
        {
          'WWW-Authenticate': 'Basic realm="bmc-sim"',
        },
      );

    if (method === 'GET') {
      const r = resource(path);
      if (r) return send(res, 200, r);
      return notFound(res, path);
    }
    if (method === 'POST' && path === `${SYS}/Actions/ComputerSystem.Reset`) return reset(body, res);
    if (
      method === 'POST' &&
      path === `${MGR}/Oem/Dell/DellLCService/Actions/DellLCService.GetRemoteServicesAPIStatus`
    ) {
      const server = ctx.host.serverStatus();
      return send(res, 200, {
        LCStatus: 'Ready',
        RTStatus: server === 'OutOfPOST' ? 'Ready' : 'NotReady',
        ServerStatus: server,
        Status: server === 'OutOfPOST' ? 'Ready' : 'NotReady',
        TelemetryStatus: 'Ready',
      });
    }
    if (method === 'DELETE' && path.startsWith(`${SESSIONS}/`)) {
      const id = path.slice(SESSIONS.length + 1);
      if (ctx.sessions.remove(id))
        return send(res, 200, {
          '@Message.ExtendedInfo': [
            { MessageId: 'Base.1.12.Success', Message: 'Successfully Completed Request' },
          ],
        });
      return notFound(res, path);
    }
    return send(
      res,
      ...redfishError(405, 'Base.1.12.OperationNotAllowed', `${method} is not allowed on ${path}.`),
    );
  }

  function createSession(body: unknown, res: ServerResponse): void {
    const b = (body ?? {}) as Json;
    if (ctx.faults.refuseSessions)
      return send(
        res,
        ...redfishError(503, 'IDRAC.2.8.RAC0218', 'The maximum number of user sessions is reached.'),
      );
    if (typeof b.UserName !== 'string' || typeof b.Password !== 'string')
      return send(
        res,
        ...redfishError(400, 'Base.1.12.PropertyMissing', 'UserName and Password are required.'),
      );
    if (!same(b.UserName, ctx.username) || !same(b.Password, ctx.password))
      return send(
        res,
        ...redfishError(401, 'Base.1.12.NoValidSession', 'Authentication failed: invalid credentials.'),
      );
    const s = ctx.sessions.create(b.UserName);
    if (s === 'full')
      return send(
        res,
        ...redfishError(503, 'IDRAC.2.8.RAC0218', 'The maximum number of user sessions is reached.'),
      );
    const loc = `${SESSIONS}/${s.id}`;
    send(res, 201, sessionResource(s.id, s.user), { 'X-Auth-Token': s.token, Location: loc });
  }

  function reset(body: unknown, res: ServerResponse): void {
    const type = (body as Json | undefined)?.ResetType;
    if (typeof type !== 'string' || !IDRAC_RESET_TYPES.includes(type))
      return send(
        res,
        ...redfishError(
          400,
          'Base.1.12.ActionParameterNotSupported',
          `The parameter ResetType with the value ${String(type)} is not supported by the action ComputerSystem.Reset.`,
          'Base.1.12.ActionParameterNotSupported',
        ),
      );
    const before = ctx.host.powerState();
    const r = ctx.host.reset(type);
    ctx.log(`reset ${type} in state ${before}: ${r}`);
    if (r === 'ok') return send(res, 204);
    if (r === 'already') {
      const on = before === 'On' || before === 'PoweringOn';
      return send(
        res,
        ...redfishError(
          409,
          'IDRAC.2.8.PSU501',
          on ? 'Server is already powered ON.' : 'Server is already powered OFF.',
        ),
      );
    }
    if (r === 'conflict')
      return send(
        res,
        ...redfishError(409, 'IDRAC.2.8.RAC0501', 'A power operation is already in progress; retry later.'),
      );
    return send(
      res,
      ...redfishError(400, 'Base.1.12.ActionParameterNotSupported', `ResetType ${type} is not supported.`),
    );
  }

  function publicResource(path: string): Json {
    if (path === '/redfish') return { v1: '/redfish/v1/' };
    if (path === '/redfish/v1/odata')
      return {
        '@odata.context': '/redfish/v1/$metadata',
        value: ['Systems', 'Managers', 'SessionService'].map((n) => ({
          name: n,
          kind: 'Singleton',
          url: `/redfish/v1/${n}`,
        })),
      };
    return {
      '@odata.context': '/redfish/v1/$metadata#ServiceRoot.ServiceRoot',
      '@odata.id': '/redfish/v1',
      '@odata.type': '#ServiceRoot.v1_11_0.ServiceRoot',
      Id: 'RootService',
      Name: 'Root Service',
      RedfishVersion: '1.17.0',
      Vendor: 'Dell',
      Product: 'Integrated Dell Remote Access Controller (simulated)',
      UUID: '3132334f-c0b7-3480-3510-00364c4c4544',
      Systems: { '@odata.id': '/redfish/v1/Systems' },
      Managers: { '@odata.id': '/redfish/v1/Managers' },
      Chassis: { '@odata.id': '/redfish/v1/Chassis' },
      SessionService: { '@odata.id': '/redfish/v1/SessionService' },
      Links: { Sessions: { '@odata.id': SESSIONS } },
      ProtocolFeaturesSupported: {
        ExpandQuery: { ExpandAll: false },
        FilterQuery: false,
        SelectQuery: false,
      },
    };
  }

  function sessionResource(id: string, user: string): Json {
    return {
      '@odata.id': `${SESSIONS}/${id}`,
      '@odata.type': '#Session.v1_3_0.Session',
      Id: id,
      Name: `User Session ${id}`,
      UserName: user,
    };
  }

  function resource(path: string): Json | undefined {
    const coll = (id: string, type: string, members: string[]): Json => ({
      '@odata.id': id,
      '@odata.type': `#${type}Collection.${type}Collection`,
      Name: `${type} Collection`,
      Members: members.map((m) => ({ '@odata.id': m })),
      'Members@odata.count': members.length,
    });
    const h = ctx.host;
    switch (path) {
      case '/redfish/v1/Systems':
        return coll(path, 'ComputerSystem', [SYS]);
      case '/redfish/v1/Managers':
        return coll(path, 'Manager', [MGR]);
      case '/redfish/v1/Chassis':
        return coll(path, 'Chassis', []);
      case SYS: {
        const action: Json = { target: `${SYS}/Actions/ComputerSystem.Reset` };
        if (ctx.allowableVia === 'inline') action['ResetType@Redfish.AllowableValues'] = IDRAC_RESET_TYPES;
        else action['@Redfish.ActionInfo'] = `${SYS}/ResetActionInfo`;
        return {
          '@odata.id': SYS,
          '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
          Id: 'System.Embedded.1',
          Name: 'System',
          Manufacturer: 'Dell Inc.',
          Model: 'PowerEdge R650 (simulated)',
          SerialNumber: 'SIM0001',
          SystemType: 'Physical',
          PowerState: h.powerState(),
          BootProgress: { LastState: h.bootProgress() },
          Boot: {
            BootSourceOverrideEnabled: 'Disabled',
            BootSourceOverrideMode: 'UEFI',
            BootSourceOverrideTarget: 'None',
            'BootSourceOverrideTarget@Redfish.AllowableValues': [
              'None',
              'Pxe',
              'Hdd',
              'Cd',
              'BiosSetup',
              'UefiTarget',
            ],
          },
          Status: { State: 'Enabled', Health: 'OK' },
          Links: { ManagedBy: [{ '@odata.id': MGR }] },
          Actions: { '#ComputerSystem.Reset': action },
        };
      }
      case `${SYS}/ResetActionInfo`:
        return {
          '@odata.id': path,
          '@odata.type': '#ActionInfo.v1_1_2.ActionInfo',
          Id: 'ResetActionInfo',
          Name: 'Reset Action Info',
          Parameters: [
            { Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: IDRAC_RESET_TYPES },
          ],
        };
      case MGR:
        return {
          '@odata.id': MGR,
          '@odata.type': '#Manager.v1_17_0.Manager',
          Id: 'iDRAC.Embedded.1',
          Name: 'Manager',
          ManagerType: 'BMC',
          Model: '14G Monolithic',
          FirmwareVersion: '7.00.00.00',
          Status: { State: 'Enabled', Health: 'OK' },
          Links: {
            ManagerForServers: [{ '@odata.id': SYS }],
            Oem: { Dell: { DellLCService: { '@odata.id': `${MGR}/Oem/Dell/DellLCService` } } },
          },
        };
      case '/redfish/v1/SessionService':
        return {
          '@odata.id': path,
          '@odata.type': '#SessionService.v1_1_8.SessionService',
          Id: 'SessionService',
          Name: 'Session Service',
          ServiceEnabled: true,
          SessionTimeout: 1800,
          Sessions: { '@odata.id': SESSIONS },
        };
      case SESSIONS:
        return coll(
          path,
          'Session',
          ctx.sessions.list().map((s) => `${SESSIONS}/${s.id}`),
        );
    }
    if (path.startsWith(`${SESSIONS}/`)) {
      const s = ctx.sessions.byId(path.slice(SESSIONS.length + 1));
      return s ? sessionResource(s.id, s.user) : undefined;
    }
    return undefined;
  }
}
