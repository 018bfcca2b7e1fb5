/**
 * Mounting React components in a DOM test (`// @vitest-environment happy-dom`) and driving them
 * with real DOM events, each inside React's `act` so effects and state updates have run before the
 * test looks. Where the browser itself would act on a key (typing a character into the focused
 * field, Enter submitting its form) `press` does that too, since a synthetic event never does.
 */
import { act, type ReactElement } from 'react';
import { createRoot } from 'react-dom/client';
import { waitFor } from './station-home.js';

const actFlag = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean };
// Tells React that updates in these tests are wrapped in act() (it warns otherwise).
actFlag.IS_REACT_ACT_ENVIRONMENT = true;

const mounted = new Set<() => Promise<void>>();

/** Renders `element` into a fresh container in the body; `unmountAll` takes it down. */
export async function mount(element: ReactElement): Promise<void> {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(async () => root.render(element));
  const unmount = async () => {
    mounted.delete(unmount);
    await act(async () => root.unmount());
    container.remove();
  };
  mounted.add(unmount);
}

/** Unmounts whatever is still mounted (for afterEach), so no listener of one test hears the next. */
export async function unmountAll(): Promise<void> {
  for (const unmount of [...mounted]) await unmount();
}

/** Lets pending promises (replies of the client) and the renders they cause finish. */
export async function flush(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  });
}

/**
 * Waits (real time, as a hang guard only) until `condition` holds. A real station answers and
 * emits on its own schedule, outside any act(): while waiting for it React renders as in a
 * browser (and is told not to expect act), then one act() settles the effects before the test looks.
 */
export async function until(condition: () => boolean, what: string): Promise<void> {
  actFlag.IS_REACT_ACT_ENVIRONMENT = false;
  try {
    await waitFor(condition, what);
  } finally {
    actFlag.IS_REACT_ACT_ENVIRONMENT = true;
  }
  await flush();
}

export interface KeyOptions {
  altKey?: boolean;
  ctrlKey?: boolean;
  shiftKey?: boolean;
  code?: string;
  /** The event's timeStamp (ms on the page's clock); the scan bar tells a scanner from a person by it. */
  timeStamp?: number;
}

/**
 * A keydown on the focused element (the body when nothing is), bubbling to the window, then the
 * browser's default action when no handler prevented it: a character is typed into a focused
 * text input, and Enter there submits its form. Returns the event.
 */
export async function press(key: string, opts: KeyOptions = {}): Promise<KeyboardEvent> {
  const { timeStamp, ...init } = opts;
  const target = (document.activeElement as HTMLElement | null) ?? document.body;
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  if (timeStamp !== undefined) Object.defineProperty(event, 'timeStamp', { value: timeStamp });
  await act(async () => {
    target.dispatchEvent(event);
  });
  if (!event.defaultPrevented && target instanceof HTMLInputElement && !init.altKey && !init.ctrlKey) {
    if ([...key].length === 1) await typeInto(target, target.value + key);
    else if (key === 'Enter' && target.form) await submit(target.form);
  }
  return event;
}

/** Sets a field's value as typing would (through the native setter, so React's value tracking sees the change) and fires `input`. */
export async function typeInto(field: HTMLInputElement, value: string): Promise<void> {
  await act(async () => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(field, value);
    field.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

export async function click(el: Element): Promise<void> {
  await act(async () => {
    (el as HTMLElement).click();
  });
}

export async function submit(form: HTMLFormElement): Promise<void> {
  await act(async () => {
    form.requestSubmit();
  });
}

/** The only element matching `selector` under `root`; throws, naming the selector, when there is none. */
export function $<E extends Element = HTMLElement>(selector: string, root: ParentNode = document): E {
  const el = root.querySelector<E>(selector);
  if (!el) throw new Error(`no element matches ${selector}`);
  return el;
}

/** The button whose text contains `text`. */
export function button(text: string | RegExp, root: ParentNode = document): HTMLButtonElement {
  const found = [...root.querySelectorAll('button')].find((b) => (typeof text === 'string' ? b.textContent?.includes(text) : text.test(b.textContent ?? '')));
  if (!found) throw new Error(`no button says ${String(text)}`);
  return found;
}
