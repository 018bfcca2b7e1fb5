/**
 * The in-process transport, and the shape every transport shares: arguments validated at the
 * boundary, errors returned as data, never thrown across it.
 */
import { toErrorData, StationError, type ErrorData } from '../errors.js';
import { unlessWithdrawn, withdrawnError } from '../shared/withdrawable.js';
import { commandArgs, type CommandArgs, type CommandName, type ParsedArgs } from './commands.js';

export type Reply<T> = { result: T } | { error: ErrorData };

/** What a handler may know of its call besides its arguments: `signal` aborts when the caller withdrew it. */
export interface CallContext {
  signal?: AbortSignal;
}

/** Handlers take already-validated arguments. */
export type HandlerMap = { [C in CommandName]: (args: ParsedArgs<C>, context: CallContext) => unknown };

export type ResultOf<H extends HandlerMap, C extends CommandName> = Awaited<ReturnType<H[C]>>;

/** Per call: `signal` withdraws the request; the reply is then a CANCELLED error, at once. */
export interface CallOptions {
  signal?: AbortSignal;
}

export type Client<H extends HandlerMap> = {
  [C in CommandName]: (args: CommandArgs<C>, options?: CallOptions) => Promise<Reply<ResultOf<H, C>>>;
};

/** Validates `args` against the contract and runs the handler; every failure comes back as data. */
export async function dispatch<H extends HandlerMap, C extends CommandName>(handlers: H, command: C, args: unknown, context: CallContext = {}): Promise<Reply<ResultOf<H, C>>> {
  const schema = commandArgs[command];
  if (!schema) return { error: { code: 'INVALID_ARGUMENT', message: `Unknown command "${String(command)}".` } };
  const parsed = schema.safeParse(args ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
    return { error: toErrorData(new StationError('INVALID_ARGUMENT', `Invalid arguments for ${command}: ${problems}`)) };
  }
  try {
    const handler = handlers[command] as (a: unknown, c: CallContext) => unknown;
    return { result: (await handler(parsed.data, context)) as ResultOf<H, C> };
  } catch (err) {
    return { error: toErrorData(err) };
  }
}

export function createLocalClient<H extends HandlerMap>(handlers: H): Client<H> {
  const client = {} as Record<CommandName, (args: unknown, options?: CallOptions) => Promise<unknown>>;
  for (const command of Object.keys(commandArgs) as CommandName[]) client[command] = (args, options) => unlessWithdrawn(dispatch(handlers, command, args, options?.signal ? { signal: options.signal } : {}), options?.signal, () => ({ error: withdrawnError() }));
  return client as Client<H>;
}
