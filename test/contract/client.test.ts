import { describe, expect, it } from 'vitest';
import { createLocalClient, dispatch, type HandlerMap } from '../../src/contract/client.js';
import { commandArgs, type CommandName } from '../../src/contract/commands.js';
import { StationError } from '../../src/errors.js';

/** Every command the transport tests do not call: present (the map must be complete), never run. */
const unused = Object.fromEntries(
  (Object.keys(commandArgs) as CommandName[]).map((c) => [
    c,
    () => {
      throw new Error(`${c} is not used in this test`);
    },
  ]),
) as unknown as HandlerMap;

const calls: unknown[] = [];
const handlers = {
  ...unused,
  status: () => ({ ok: true }),
  listCaptures: (args) => (calls.push(args), []),
  getCapture: ({ id }) => {
    if (id === 404) throw new StationError('NOT_FOUND', `There is no capture ${id}.`);
    if (id === 500) throw new Error('disk on fire');
    return { id };
  },
  rescan: async () => ({ rescanned: true as const }),
} satisfies HandlerMap;

describe('contract transport (in-process)', () => {
  const client = createLocalClient(handlers);

  it('validates arguments before the handler runs and applies defaults', async () => {
    calls.length = 0;
    expect(await client.listCaptures({ verdict: 'fail' })).toEqual({ result: [] });
    expect(calls).toEqual([{ limit: 100, verdict: 'fail' }]);
    const bad = await client.listCaptures({ limit: 0, verdict: 'maybe' as 'fail' });
    expect(bad).toEqual({ error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/limit: .*; verdict: /) } });
    expect(calls).toHaveLength(1);
  });

  it('refuses unknown fields and unknown commands', async () => {
    expect(await dispatch(handlers, 'getCapture', { id: 1, extra: true })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await dispatch(handlers, 'dropTables' as 'status', {})).toMatchObject({ error: { code: 'INVALID_ARGUMENT', message: 'Unknown command "dropTables".' } });
  });

  it('returns errors as data with their code, never a thrown stack', async () => {
    expect(await client.getCapture({ id: 7 })).toEqual({ result: { id: 7 } });
    expect(await client.getCapture({ id: 404 })).toEqual({ error: { code: 'NOT_FOUND', message: 'There is no capture 404.' } });
    expect(await client.getCapture({ id: 500 })).toEqual({ error: { code: 'INTERNAL', message: 'disk on fire' } });
  });
});
