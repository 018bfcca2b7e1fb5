import { useEffect, useState } from 'react';
import { deviceLooks, diskWarnings, type DeviceLook, type DiskWarning } from '../app/device-status.js';
import type { StationStatus } from '../app/use-station.js';

/** Re-renders every `ms` so "last file N s ago" stays true. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/**
 * The devices of the station's status, and the keyboard scanner when this page takes scans, with
 * "last file N s ago" and "last scan N s ago" kept current (only this strip re-renders for it).
 */
export function DeviceStatus({ status, keyboard }: { status: StationStatus | null; keyboard?: { lastScanMs: number | null } }) {
  const now = useNow(5000);
  return <DeviceList devices={deviceLooks(status, now, keyboard)} disks={status ? diskWarnings(status.disks) : []} />;
}

/**
 * The rig's devices in one line (icon + word each), below it what to do about any that needs it.
 * A disk running low joins the line, with what to do about it one click (or Enter) away: the
 * capture under it stays above the fold.
 */
export function DeviceList({ devices, disks = [] }: { devices: readonly DeviceLook[]; disks?: readonly DiskWarning[] }) {
  if (devices.length === 0 && disks.length === 0) return null;
  const fixes = devices.filter((d) => d.fix);
  return (
    <section className="devices" aria-label="Devices">
      <ul className="devices__list">
        {devices.map((d) => (
          <li key={d.key} className="devices__item" data-tone={d.tone}>
            <span className="devices__name">{d.name}</span>{' '}
            <span className="devices__state">
              <span aria-hidden="true">{d.icon}</span> {d.word}
            </span>
            {d.detail && !d.fix && <span className="devices__detail"> · {d.detail}</span>}
          </li>
        ))}
        {disks.map((d) => (
          <li key={d.key} className="devices__item devices__disk" data-tone={d.tone} role="alert" data-testid="disk-warning">
            <details>
              <summary title={d.folders.join('\n')}>
                <span className="devices__state">
                  <span aria-hidden="true">{d.icon}</span> {d.word}:
                </span>{' '}
                {d.summary}
              </summary>
              <p className="devices__disk-advice">{d.advice}</p>
            </details>
          </li>
        ))}
      </ul>
      {fixes.map((d) => (
        <p key={d.key} className="devices__fix" role="alert">
          <strong>
            <span aria-hidden="true">{d.icon}</span> {d.name}: {d.word}.
          </strong>{' '}
          {d.detail && d.detail !== d.fix ? `${d.detail} ` : ''}
          {d.fix}
        </p>
      ))}
    </section>
  );
}
