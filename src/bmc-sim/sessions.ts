// Redfish sessions as an iDRAC keeps them: few slots, idle expiry, and 503 RAC0218 when they are full,
// so a client that leaks sessions locks itself out here just as it would on real hardware.
import { randomBytes, randomUUID } from 'node:crypto';

export interface Session {
  id: string;
  token: string;
  user: string;
  lastUsed: number;
}

export interface SessionStore {
  create(user: string): Session | 'full';
  byToken(token: string): Session | undefined;
  byId(id: string): Session | undefined;
  remove(id: string): boolean;
  list(): Session[];
}

export function createSessionStore(maxSessions: number, idleTimeoutMs: number): SessionStore {
  const sessions = new Map<string, Session>();
  const sweep = (): void => {
    const now = Date.now();
    for (const [id, s] of sessions) if (now - s.lastUsed > idleTimeoutMs) sessions.delete(id);
  };
  return {
    create(user) {
      sweep();
      if (sessions.size >= maxSessions) return 'full';
      const s: Session = {
        id: randomUUID().slice(0, 8),
        token: randomBytes(16).toString('hex'),
        user,
        lastUsed: Date.now(),
      };
      sessions.set(s.id, s);
      return s;
    },
    byToken(token) {
      sweep();
      for (const s of sessions.values())
        if (s.token === token) {
          s.lastUsed = Date.now();
          return s;
        }
      return undefined;
    },
    byId: (id) => (sweep(), sessions.get(id)),
    remove: (id) => sessions.delete(id),
    list: () => (sweep(), [...sessions.values()]),
  };
}
