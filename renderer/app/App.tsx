import { useMemo } from 'react';
import { createHttpClient, type StationClient } from '../transport/http-client.js';
import { CaptureView } from '../components/CaptureView.js';
import { Header } from '../components/Header.js';
import { RecentList } from '../components/RecentList.js';
import { useTheme } from './theme.js';
import { useStation } from './use-station.js';

export function App({ client }: { client?: StationClient }) {
  const api = useMemo(() => client ?? createHttpClient(), [client]);
  const station = useStation(api);
  const [theme, toggleTheme] = useTheme();
  return (
    <div className="app">
      <Header
        stationId={station.status?.stationId ?? null}
        connection={station.connection}
        checking={station.checking}
        counts={station.status?.captures ?? null}
        theme={theme}
        onToggleTheme={toggleTheme}
      />
      {station.error && (
        <p className="notice" role="alert">
          {station.error}
        </p>
      )}
      <main className="main">
        <CaptureView capture={station.current} following={station.following} inboxes={station.status?.sources.map((s) => s.path) ?? []} onFollowLatest={station.followLatest} />
        <RecentList captures={station.captures} currentId={station.current?.id ?? null} onSelect={station.select} />
      </main>
    </div>
  );
}
