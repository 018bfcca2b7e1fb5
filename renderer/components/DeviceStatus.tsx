import { useEffect, useState } from 'react';
import { deviceLooks, diskWarning, type DeviceLook, type DiskWarning } from '../app/device-status.js';
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

/** The devices of the station's status, with "last file N s ago" kept current (only this strip re-renders for it). */
export function DeviceStatus({ status }: { status: StationStatus | null }) {
  const now = useNow(5000);
  return <DeviceList devices={deviceLooks(status, now)} disk={status ? diskWarning(status.disks) : null} />;
}

/** The rig's devices in one line (icon + word each), below it what to do about any that needs it, and one line for the disks running low. */
export function DeviceList({ devices, disk = null }: { devices: readonly DeviceLook[]; disk?: DiskWarning | null }) {
  if (devices.length === 0 && !disk) return null;
  const fixes = devices.filter((d) => d.fix);
  return (
    <section className="devices" aria-label="Devices">
      {devices.length > 0 && (
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
        </ul>
      )}
      {fixes.map((d) => (
        <p key={d.key} className="devices__fix" role="alert">
          <strong>
            <span aria-hidden="true">{d.icon}</span> {d.name}: {d.word}.
          </strong>{' '}
          {d.detail && d.detail !== d.fix ? `${d.detail} ` : ''}
          {d.fix}
        </p>
      ))}
      {disk && (
        <p className="devices__fix devices__disk" role="alert" data-tone={disk.tone} title={disk.folders.join('\n')} data-testid="disk-warning">
          <strong className="devices__disk-word">
            <span aria-hidden="true">{disk.icon}</span> {disk.word}.
          </strong>{' '}
          {disk.messages.join(' ')}
        </p>
      )}
    </section>
  );
}
