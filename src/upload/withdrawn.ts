/**
 * How a job the station took back is marked: dead, with `last_error` starting with this prefix.
 * Such a job goes back to the queue once its capture is taken again (eligibility.ts), and a copy
 * under a name its capture no longer has may be removed while its capture is set aside
 * (stale-copies.ts): the station itself stopped it, not a failure.
 */
export const withdrawnPrefix = 'Withdrawn: ';
