import { useCallback, useEffect, useMemo, useState } from 'react';
import { createHttpClient, type StationClient } from '../transport/http-client.js';
import { connectIpcEvents, createIpcClient, desktopBridge } from '../transport/ipc.js';
import { CaptureScreen } from '../components/CaptureScreen.js';
import { DashboardView } from '../components/DashboardView.js';
import { DeviceStatus } from '../components/DeviceStatus.js';
import { ConfigChangedBanner } from '../components/ConfigChangedBanner.js';
import { LogFileNotice } from '../components/LogFileNotice.js';
import { Header } from '../components/Header.js';
import { HistoryView } from '../components/HistoryView.js';
import { Nav } from '../components/Nav.js';
import { QueueView } from '../components/QueueView.js';
import { RecentList } from '../components/RecentList.js';
import { ScanBar } from '../components/ScanBar.js';
import { SessionBadge, SessionPanel } from '../components/SessionPanel.js';
import { SettingsView } from '../components/SettingsView.js';
import { shownObject, shownWaiting } from './linking-state.js';
import { useTheme } from './theme.js';
import { watchReachability } from './reachability.js';
import type { TonePlayer } from './fail-cue.js';
import { useFailCue } from './use-fail-cue.js';
import { useStation, webSocketEvents, type EventConnector } from './use-station.js';
import { viewForKey, viewFromHash, views, type ViewId } from './views.js';

/** `client`, `events` and `tones` are injected by tests (an in-process station, a spied cue); `events` must keep its identity. */
/** Hot-folder notices shown in full under the header; any more are named in one line, so a folder of links does not push the screen down. */
const shownNotices = 3;

export function App({ client, events, tones }: { client?: StationClient; events?: EventConnector; tones?: TonePlayer }) {
  // In the desktop window the preload's bridge carries the contract; in a browser, HTTP + WebSocket.
  const bridge = useMemo(() => desktopBridge(), []);
  const [reachable, setReachable] = useState(true);
  const api = useMemo(() => watchReachability(client ?? (bridge ? createIpcClient(bridge) : createHttpClient()), setReachable), [client, bridge]);
  const connect = useMemo<EventConnector>(() => events ?? (bridge ? (h) => connectIpcEvents(bridge, h) : webSocketEvents), [events, bridge]);
  const station = useStation(api, connect);
  const [theme, toggleTheme] = useTheme();
  // Silent until the station's setting is known; on every view, not only the capture view.
  const soundOnFail = station.status?.ui.soundOnFail ?? false;
  const { muted, toggleMute } = useFailCue(station.subscribe, soundOnFail, tones);
  const [view, setViewState] = useState<ViewId>(() => viewFromHash(window.location.hash));
  const [sessionError, setSessionError] = useState<string | null>(null);
  /** When this page last took a keyboard scanner's burst (Date.now()): the scanner's only sign of life. */
  const [lastKeyboardScan, setLastKeyboardScan] = useState<number | null>(null);
  const keyboardScanned = useCallback(() => setLastKeyboardScan(Date.now()), []);
  const session = station.status?.session ?? null;
  // A monitor (read-only token) watches: no session prompt, no End session; null until known.
  const [role, setRole] = useState<'operator' | 'monitor' | null>(null);
  // Asked again with each status until answered: the station may not be reachable at page load.
  const statusKnown = station.status !== null;
  useEffect(() => {
    if (role !== null) return;
    void api.access({}).then((r) => 'result' in r && setRole(r.result.role));
  }, [api, role, statusKnown]);
  const startSession = useCallback(
    async (operator: string, project: string) => {
      const r = await api.startSession({ operator, project });
      if ('error' in r) return r.error.message;
      setSessionError(null);
      return null;
    },
    [api],
  );
  // The header has no room for a refusal (e.g. a read-only monitor's): it is shown under the tabs.
  const endSession = useCallback(() => {
    void api.endSession({}).then((r) => setSessionError('error' in r ? r.error.message : null));
  }, [api]);

  const setView = useCallback((v: ViewId) => {
    setViewState(v);
    const hash = v === 'capture' ? '' : `#${v}`;
    if (window.location.hash !== hash) history.replaceState(null, '', hash || window.location.pathname + window.location.search);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const v = viewForKey(e);
      if (!v) return;
      e.preventDefault();
      setView(v);
    };
    const onHash = () => setViewState(viewFromHash(window.location.hash));
    window.addEventListener('keydown', onKey);
    window.addEventListener('hashchange', onHash);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('hashchange', onHash);
    };
  }, [setView]);

  useEffect(() => {
    document.title = `${views.find((v) => v.id === view)?.label ?? ''} · Capture Station`;
  }, [view]);

  const sources = station.status?.sources.map((s) => s.id) ?? [];
  const shown = shownObject(station.openObjects, sources.length === 1 ? sources[0]! : null);
  // The views a source expects may be its own (sources[].views), else the station's.
  const shownSource = shown ? station.status?.sources.find((s) => s.id === shown.sourceId) : undefined;
  const showInCaptureView = useCallback(
    (id: number) => {
      station.select(id);
      setView('capture');
    },
    [station, setView],
  );

  return (
    <div className="app">
      <Header
        stationId={station.status?.stationId ?? null}
        connection={station.connection === 'live' && !reachable ? 'unanswered' : station.connection}
        checking={station.checking}
        counts={station.status?.captures ?? null}
        theme={theme}
        onToggleTheme={toggleTheme}
        session={
          role === 'monitor' ? (
            <SessionBadge operator={session?.operator ?? null} project={session?.project ?? ''} readOnly />
          ) : (
            session && <SessionBadge operator={session.operator} project={session.project} onEnd={endSession} />
          )
        }
      />
      <Nav view={view} onView={setView} />
      {station.connection === 'refused' && (
        <p className="notice" role="alert">
          This page's access token is no longer accepted: the station was restarted, and it makes a new token at every start. Open the address it printed when it started (with ?token=…),
          or take the token from the server-token file in its station folder.
        </p>
      )}
      {station.status && role === 'operator' && !session && <SessionPanel choices={station.status.sessionChoices} onStart={startSession} />}
      {sessionError && (
        <p className="notice" role="alert">
          {sessionError}
        </p>
      )}
      <ConfigChangedBanner drift={station.status?.configChanged ?? null} />
      <LogFileNotice logFile={station.status?.logFile ?? null} />
      <DeviceStatus status={station.status} keyboard={role === 'operator' ? { lastScanMs: lastKeyboardScan } : undefined} />
      <ScanBar
        object={shown ? { sourceId: shown.sourceId, ...shown.object } : null}
        linkingEnabled={station.status?.linking.enabled ?? false}
        sources={sources}
        alarm={station.linkAlarm}
        onScan={station.scan}
        onScannerScan={keyboardScanned}
        views={shownSource?.views ?? station.status?.linking.views ?? []}
        expectedShots={shownSource?.expectedShots ?? station.status?.linking.expectedShots ?? 0}
        readOnly={role === 'monitor'}
        waiting={shown ? null : shownWaiting(station.status?.waitingShots ?? {}, sources.length === 1 ? sources[0]! : null)}
      />
      {station.error && (
        <p className="notice" role="alert">
          {station.error}
        </p>
      )}
      {station.ingestNotices.slice(0, shownNotices).map((n) => (
        <p key={`${n.sourceId}/${n.relPath}`} className="notice" role="alert" data-testid="ingest-notice">
          <span aria-hidden="true">▲</span> {n.message}
        </p>
      ))}
      {station.ingestNotices.length > shownNotices && (
        <p className="notice" role="alert" data-testid="ingest-notice-more">
          <span aria-hidden="true">▲</span> {station.ingestNotices.length - shownNotices} more {station.ingestNotices.length - shownNotices === 1 ? 'file' : 'files'} the station will not take as they are: {station.ingestNotices.slice(shownNotices).map((n) => n.relPath).join(', ')}
        </p>
      )}
      {view === 'capture' && (
        <main className="main" id="view-capture">
          <CaptureScreen client={api} station={station} inboxes={station.status?.sources.map((s) => s.path) ?? []} sound={{ enabled: soundOnFail, muted, onToggleMute: toggleMute }} />
          <RecentList captures={station.captures} currentId={station.current?.id ?? null} onSelect={station.select} />
        </main>
      )}
      {view === 'queue' && (
        <main className="main main--single" id="view-queue">
          <QueueView client={api} subscribe={station.subscribe} readOnly={role === 'monitor'} />
        </main>
      )}
      {view === 'history' && (
        <main className="main main--single" id="view-history">
          <HistoryView client={api} subscribe={station.subscribe} sources={sources} onShowInCaptureView={showInCaptureView} readOnly={role === 'monitor'} onLinkEdited={() => void station.refreshOpenObjects()} />
        </main>
      )}
      {view === 'dashboard' && (
        <main className="main main--single" id="view-dashboard">
          <DashboardView client={api} subscribe={station.subscribe} />
        </main>
      )}
      {view === 'settings' && (
        <main className="main main--single" id="view-settings">
          <SettingsView client={api} readOnly={role === 'monitor'} />
        </main>
      )}
    </div>
  );
}
