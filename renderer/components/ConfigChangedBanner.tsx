import type { StationStatus } from '../app/use-station.js';

type ConfigDrift = NonNullable<StationStatus['configChanged']>;

/**
 * The config file was edited while the station runs: it runs on as it started, so whoever edited it
 * must learn here (read from the rig) that the edit is not in use yet and what to do — restart, or
 * first fix what the next start would refuse. Icon and words say which; the colour only repeats it.
 */
export function ConfigChangedBanner({ drift }: { drift: ConfigDrift | null }) {
  if (!drift) return null;
  const invalid = drift.error !== null;
  return (
    <section className="config-changed" data-tone={invalid ? 'bad' : 'warn'} role="alert" data-testid="config-changed">
      <p className="config-changed__title">
        <span aria-hidden="true">{invalid ? '✕' : '▲'}</span> {invalid ? 'Edited config is invalid — fix it before restarting' : 'Config edited — restart the station to apply it'}
      </p>
      {invalid && <p className="config-changed__problem">{drift.error}</p>}
      <p className="config-changed__file">
        The station still runs on the config it started with{invalid ? ', but would not start with this file' : ''}: {drift.file}
      </p>
    </section>
  );
}
