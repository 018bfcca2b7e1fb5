/**
 * The station as the UI sees it: status, recent captures, the capture on screen, the connection.
 * Replies and events both feed it; after every (re)connect the list is fetched again so nothing
 * that happened while offline is missed.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ConnectionState, StationEventMessage } from '../transport/event-stream.js';
import { connectEvents, defaultEventsUrl, type EventStreamOptions } from '../transport/event-stream.js';
import { createHttpClient, type StationClient } from '../transport/http-client.js';
import type { CaptureDetail, CaptureRecord, IngestNotice, ResultOf, StationHandlers } from '../contract.js';
import { mergeCaptures, recentLimit, upsertCapture } from './captures-state.js';
import { applyLinkEffect, type OpenObjects } from './linking-state.js';
import { coalesce } from './throttle.js';
import { scanAnswer } from './format.js';
import { ToldByEvents } from './told-by-events.js';

/** At most one status request per this long (and never two at once), however many events ask. */
const statusEveryMs = 500;

export type StationStatus = ResultOf<StationHandlers, 'status'>;

export interface StationView {
  connection: ConnectionState;
  status: StationStatus | null;
  captures: CaptureRecord[];
  /** The capture shown large; null before the first one. */
  current: CaptureDetail | null;
  /** True while the view follows the newest capture (false after the technician picked an older one). */
  following: boolean;
  /** Files being checked right now, oldest first. */
  checking: string[];
  error: string | null;
  /** The object each source has open (barcode linking). */
  openObjects: OpenObjects;
  /** The latest linking alarm (e.g. an incomplete object), until the next scan. */
  linkAlarm: string | null;
  /** Hot-folder files the station will not take as they are (a symbolic link, a file still empty), as the station lists them: until each is recorded or gone; oldest first. */
  ingestNotices: IngestNotice[];
  select(id: number): void;
  followLatest(): void;
  /** Sends a scanned code; resolves to the refusal's message, or what the scan did ("Object X closed…"). */
  scan(code: string, sourceId?: string): Promise<ScanReply>;
  /** Every event and every (re)connect, for the views that keep their own data (queue, history, dashboard). */
  subscribe(listener: StationListener): () => void;
  /** After a link fix: fetches the objects open on the rig again (a fix may rename one or change its shots). */
  refreshOpenObjects(): Promise<void>;
}

export type ScanReply = { refused: string } | { said: string };

export type StationListener = (m: StationEventMessage | { event: 'reconnected' }) => void;

/** How the UI receives events: the WebSocket in a browser, IPC in the desktop window. */
export type EventConnector = (handlers: Pick<EventStreamOptions, 'onEvent' | 'onState'>) => { close(): void };

/** The browser's connector: the station's WebSocket on the page's own host. */
export const webSocketEvents: EventConnector = (h) =>
  connectEvents({
    url: defaultEventsUrl(window.location),
    accessRefused: async () => {
      const r = await createHttpClient().access({});
      return 'error' in r && r.error.code === 'UNAUTHORIZED';
    },
    ...h,
  });

/** `connect` must keep its identity across renders (a module constant or a memo): a new one reconnects. */
export function useStation(client: StationClient, connect: EventConnector): StationView {
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [status, setStatus] = useState<StationStatus | null>(null);
  const [captures, setCaptures] = useState<CaptureRecord[]>([]);
  const [current, setCurrent] = useState<CaptureDetail | null>(null);
  const [following, setFollowing] = useState(true);
  const [checking, setChecking] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [openObjects, setOpenObjects] = useState<OpenObjects>({});
  const [linkAlarm, setLinkAlarm] = useState<string | null>(null);
  const [ingestNotices, setIngestNotices] = useState<IngestNotice[]>([]);
  const listeners = useRef(new Set<StationListener>());
  const capturesRef = useRef(captures);
  capturesRef.current = captures;
  const followingRef = useRef(true);
  const currentIdRef = useRef<number | null>(null);
  /** Bumped by every show(): a reply fetched for an older one is fetched again. */
  const wantedShow = useRef(0);
  const showing = useRef(false);

  // One capture request in flight at most: a burst of captures asks for whichever is wanted when
  // the last reply comes, never for each one (hanging requests would use up the browser's
  // connections to the station, and every other request would then fail).
  const show = useCallback(
    async (id: number) => {
      currentIdRef.current = id;
      wantedShow.current++;
      if (showing.current) return;
      showing.current = true;
      try {
        for (;;) {
          const asked = wantedShow.current;
          const askedId: number = currentIdRef.current ?? id;
          const reply = await client.getCapture({ id: askedId });
          if (askedId === currentIdRef.current || followingRef.current) {
            if ('error' in reply) setError(reply.error.message);
            else {
              setError(null);
              setCurrent(reply.result);
            }
          }
          if (asked === wantedShow.current) return;
        }
      } finally {
        showing.current = false;
      }
    },
    [client],
  );

  const toldByEvents = useRef(new ToldByEvents());
  /** status(), with what events told since it was asked in place of the reply's older word. */
  const fetchStatus = useCallback(async () => {
    const asked = toldByEvents.current.mark();
    const r = await client.status({});
    return 'result' in r ? { result: toldByEvents.current.apply(r.result, asked) } : r;
  }, [client]);

  const refreshStatus = useCallback(async () => {
    const r = await fetchStatus();
    if (!('result' in r)) return;
    setStatus(r.result);
    setOpenObjects(r.result.linking.open);
  }, [fetchStatus]);
  const statusSoon = useMemo(() => coalesce(refreshStatus, statusEveryMs), [refreshStatus]);
  useEffect(() => () => statusSoon.cancel(), [statusSoon]);
  // A capture changed (filed, set aside by REJECT or UNDO, relinked): the recent list's marks follow.
  const listSoon = useMemo(
    () =>
      coalesce(async () => {
        const list = await client.listCaptures({ limit: recentLimit });
        if ('result' in list) setCaptures((prev) => mergeCaptures(prev, list.result));
      }, statusEveryMs),
    [client],
  );
  useEffect(() => () => listSoon.cancel(), [listSoon]);

  const refresh = useCallback(async () => {
    const [st, list] = await Promise.all([fetchStatus(), client.listCaptures({ limit: recentLimit })]);
    if ('result' in st) {
      setStatus(st.result);
      setOpenObjects(st.result.linking.open);
      setIngestNotices(st.result.ingestNotices);
    }
    if ('error' in list) {
      setError(list.error.message);
      return;
    }
    setCaptures((prev) => mergeCaptures(prev, list.result));
    const newest = list.result[0];
    if (followingRef.current && newest) void show(newest.id);
  }, [client, fetchStatus, show]);

  useEffect(() => {
    const onEvent = (m: StationEventMessage) => {
      for (const l of listeners.current) l(m);
      switch (m.event) {
        case 'link.effect': {
          const { sourceId, effect } = m.payload;
          setOpenObjects((o) => applyLinkEffect(o, sourceId, effect));
          if (effect.type === 'alarm') setLinkAlarm(effect.message);
          // The station's own count replaces the one just derived from the effect: a sequence number
          // says nothing of gaps (a failed, undone or relinked-away shot) before it. And the shots
          // waiting for a barcode (scan-after-capture) went: linked by a scan, taken off, or timed out.
          // An object opened: the station's last scan changed (the devices line asks no test scan then).
          if (effect.type === 'object.opened' || effect.type === 'capture.linked' || effect.type === 'object.closed' || effect.type === 'capture.unlinked' || effect.type === 'alarm') statusSoon();
          break;
        }
        case 'capture.changed':
          if (currentIdRef.current === m.payload.captureId) void show(m.payload.captureId);
          if (capturesRef.current.some((c) => c.id === m.payload.captureId)) listSoon();
          break;
        case 'capture.checking':
          setChecking((c) => [...c.filter((p) => p !== m.payload.relPath), m.payload.relPath].slice(-20));
          break;
        case 'ingest.notices':
          setIngestNotices(m.payload.notices);
          break;
        case 'config.changed': {
          // The whole news is in the event: no status request for it.
          const { configChanged } = m.payload;
          toldByEvents.current.tell('configChanged', configChanged);
          setStatus((s) => s && { ...s, configChanged });
          break;
        }
        case 'log.file': {
          const logFile = m.payload;
          toldByEvents.current.tell('logFile', logFile);
          setStatus((s) => s && { ...s, logFile });
          break;
        }
        case 'capture.recorded':
          setChecking((c) => c.filter((p) => p !== m.payload.capture.relPath));
          setCaptures((prev) => upsertCapture(prev, m.payload.capture));
          if (followingRef.current) void show(m.payload.capture.id);
          statusSoon();
          break;
        case 'capture.rechecked':
          setCaptures((prev) => upsertCapture(prev, m.payload.capture));
          if (currentIdRef.current === m.payload.capture.id) void show(m.payload.capture.id);
          // A recheck may change a verdict: the header's counts follow.
          statusSoon();
          break;
        case 'source.status':
        case 'session.started':
        case 'session.ended':
        case 'scanner.status':
        case 'disk.status':
          statusSoon();
          break;
      }
    };
    const stream = connect({
      onEvent,
      onState: (s) => {
        setConnection(s);
        // What was being checked when the connection dropped has been settled one way or another.
        if (s === 'live') {
          setChecking([]);
          void refresh();
          for (const l of listeners.current) l({ event: 'reconnected' });
        }
      },
    });
    return () => stream.close();
  }, [client, connect, refresh, show, statusSoon, listSoon]);

  const select = useCallback(
    (id: number) => {
      followingRef.current = false;
      setFollowing(false);
      void show(id);
    },
    [show],
  );

  const followLatest = useCallback(() => {
    followingRef.current = true;
    setFollowing(true);
    const newest = captures[0];
    if (newest) void show(newest.id);
  }, [captures, show]);

  const scan = useCallback(
    async (code: string, sourceId?: string): Promise<ScanReply> => {
      const reply = await client.scanBarcode(sourceId ? { code, sourceId } : { code });
      if ('error' in reply) return { refused: reply.error.message };
      const { sourceId: source, current, alarms } = reply.result;
      setOpenObjects((o) => ({ ...o, [source]: current }));
      setLinkAlarm(alarms.length > 0 ? alarms.join(' ') : null);
      // A person's scan (never a burst of them): the shots it took from waiting go at once.
      void refreshStatus();
      return { said: scanAnswer(reply.result) };
    },
    [client, refreshStatus],
  );

  const refreshOpenObjects = useCallback(async () => {
    const st = await client.status({});
    if ('result' in st) setOpenObjects(st.result.linking.open);
  }, [client]);

  const subscribe = useCallback((listener: StationListener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);

  return { connection, status, captures, current, following, checking, error, openObjects, linkAlarm, ingestNotices, select, followLatest, scan, subscribe, refreshOpenObjects };
}
