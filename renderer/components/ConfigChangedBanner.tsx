import type { StationStatus } from '../app/use-station.js';

type ConfigDrift = NonNullable<StationStatus['configChanged']>;

/** What the banner says of each kind of edit: icon, headline, tone, and whether the next start is refused. */
function wordsFor(drift: ConfigDrift): { icon: string; title: string; refused: boolean } {
  if (drift.removed === 'default') return { icon: '▲', title: 'Config file removed — the next start would use the default config', refused: false };
  if (drift.removed === 'refused') return { icon: '✕', title: drift.error === null ? 'Config file removed — the next start would fail: the file given is missing' : 'Config file removed — the next start would fail', refused: true };
  if (drift.removed === 'replaced' && drift.error === null) return { icon: '▲', title: `Config file removed — the next start would load ${drift.next}: restart the station to apply it`, refused: false };
  if (drift.removed === 'replaced') return { icon: '✕', title: `Config file removed — the next start would load ${drift.next}, which is invalid: fix it before restarting`, refused: true };
  if (drift.error !== null) return { icon: '✕', title: 'Edited config is invalid — fix it before restarting', refused: true };
  return { icon: '▲', title: 'Config edited — restart the station to apply it', refused: false };
}

/**
 * The config file was edited (or removed) while the station runs: it runs on as it started, so
 * whoever did it must learn here (read from the rig) that the change is not in use yet and what the
 * next start would do — apply it, refuse it (fix it first), load another config file found in its
 * folder, or run on the default config. Icon and
 * words say which; the colour only repeats it.
 */
export function ConfigChangedBanner({ drift }: { drift: ConfigDrift | null }) {
  if (!drift) return null;
  const { icon, title, refused } = wordsFor(drift);
  return (
    <section className="config-changed" data-tone={refused ? 'bad' : 'warn'} role="alert" data-testid="config-changed">
      <p className="config-changed__title">
        <span aria-hidden="true">{icon}</span> {title}
      </p>
      {drift.error !== null && <p className="config-changed__problem">{drift.error}</p>}
      <p className="config-changed__file">
        The station still runs on the config it started with{refused ? `, but would not start ${drift.removed ? 'without' : 'with'} this file` : ''}: {drift.file}
      </p>
    </section>
  );
}
