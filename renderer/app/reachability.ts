/**
 * Whether the station answers the page's requests. The event stream can be live while requests
 * fail (a browser out of connections to the host, a proxy refusing them): the header must then not
 * say "Live". Every reply through the returned client reports: a request that got no answer
 * (UNREACHABLE) marks the station unreachable, any answer marks it reachable again; a withdrawn
 * request says nothing either way.
 */
import type { StationClient } from '../transport/http-client.js';

export function watchReachability(client: StationClient, onReachable: (reachable: boolean) => void): StationClient {
  const call = async (command: string, args: unknown[]) => {
    const reply = await (client[command as keyof StationClient] as (...a: unknown[]) => Promise<{ error?: { code: string } }>)(...args);
    const code = reply.error?.code;
    if (code !== 'CANCELLED') onReachable(code !== 'UNREACHABLE');
    return reply;
  };
  // As the transports: one function per command name; `then` is never a command.
  return new Proxy({} as StationClient, {
    get: (_target, prop) => (typeof prop === 'string' && prop !== 'then' ? (...args: unknown[]) => call(prop, args) : undefined),
  });
}
