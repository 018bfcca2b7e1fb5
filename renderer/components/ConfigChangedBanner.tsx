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
        <span aria-hidden="true">{invalid ? '✕' : '▲'}</span>{' '}
        {invalid ? 'The edited config file is invalid: the station still runs on the config it started with, but would not start with this file.' : 'The config file was edited: the station still runs on the config it started with.'}
      </p>
      <p className="config-changed__todo">{invalid ? <>{drift.error} Fix it before restarting the station.</> : 'Restart the station to apply the edit.'}</p>
      <p className="config-changed__file">{drift.file}</p>
    </section>
  );
}
