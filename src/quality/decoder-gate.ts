/**
 * libvips keeps one error buffer for the whole process: a decode that fails while another runs can
 * lose its message to the other. Decodes run side by side (shared); a failure whose message was lost
 * is repeated alone (exclusive), after the running decodes finish and before new ones start.
 */
let running = 0;
let exclusiveWaiting = 0;
let exclusiveRunning = false;
let wake: (() => void)[] = [];

function changed(): void {
  const waiting = wake;
  wake = [];
  for (const w of waiting) w();
}

async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise<void>((resolve) => wake.push(resolve));
}

export async function sharedDecode<T>(work: () => Promise<T>): Promise<T> {
  await until(() => !exclusiveRunning && exclusiveWaiting === 0);
  running++;
  try {
    return await work();
  } finally {
    running--;
    changed();
  }
}

export async function exclusiveDecode<T>(work: () => Promise<T>): Promise<T> {
  exclusiveWaiting++;
  try {
    await until(() => running === 0 && !exclusiveRunning);
  } finally {
    exclusiveWaiting--;
  }
  exclusiveRunning = true;
  try {
    return await work();
  } finally {
    exclusiveRunning = false;
    changed();
  }
}
