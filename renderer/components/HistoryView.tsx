import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import type { CaptureDetail, CaptureRecord, LastEdit, Verdict } from '../contract.js';
import { checkLabel, fileName, formatBytes, setAsideLook, verdictLook } from '../app/format.js';
import { appendPage, applyLive, applyRefreshed, dateTime, isFiltered, membershipQuery, nextPageQuery, rowMayChange, touchesDetail, type HistoryFilter } from '../app/history-state.js';
import { runLinkEdit, type LinkEditMessage, type LinkEditRequest } from '../app/link-edits.js';
import { throttle } from '../app/throttle.js';
import { useSelectionInList } from '../app/use-selection-in-list.js';
import type { StationListener } from '../app/use-station.js';
import type { StationClient } from '../transport/http-client.js';
import { CaptureDetailPanel } from './CaptureDetailPanel.js';
import { LinkActions } from './LinkActions.js';
import { OutsideListNote } from './OutsideListNote.js';
import { ReadOnlyNote } from './ReadOnly.js';
import { VirtualList } from './VirtualList.js';

export const historyRowHeight = 64;

export function HistoryRow({ capture: c }: { capture: CaptureRecord }) {
  const look = verdictLook[c.verdict];
  return (
    <div className="hrow" data-verdict={c.verdict}>
      <span className="hrow__verdict">
        <span aria-hidden="true">{look.icon}</span> {look.word}
      </span>
      <span className="hrow__text">
        <span className="hrow__name" title={c.relPath}>
          {fileName(c.relPath)}
        </span>
        <span className="hrow__meta">
          {c.sourceId} · {dateTime(c.checkedAt)} · {formatBytes(c.size)}
          {c.failedChecks.length > 0 && ` · ${c.failedChecks.map(checkLabel).join(', ')}`}
          {c.setAside && (
            <span className="hrow__set-aside" data-set-aside={c.setAside}>
              {' · '}
              <span aria-hidden="true">{setAsideLook[c.setAside].icon}</span> {setAsideLook[c.setAside].word}
            </span>
          )}
        </span>
      </span>
    </div>
  );
}

export interface HistoryFiltersProps {
  filter: HistoryFilter;
  sources: readonly string[];
  onChange(f: HistoryFilter): void;
}

export function HistoryFilters({ filter, sources, onChange }: HistoryFiltersProps) {
  const [barcode, setBarcode] = useState(filter.barcode ?? '');
  // The barcode applies on Enter (a search per keystroke would page 100,000 captures for nothing).
  const search = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...filter, barcode: barcode.trim() || null });
  };
  return (
    <div className="filters" role="group" aria-label="Filter captures">
      <form className="filters__search" role="search" onSubmit={search}>
        <label className="filters__field">
          <span>Barcode</span>
          <input name="barcode" type="search" data-takes-scans value={barcode} onChange={(e) => setBarcode(e.target.value)} placeholder="Enter to search" autoComplete="off" />
        </label>
        <label className="filters__field">
          <span>Match</span>
          <select value={filter.barcodePrefix ? 'prefix' : 'exact'} onChange={(e) => onChange({ ...filter, barcode: barcode.trim() || null, barcodePrefix: e.target.value === 'prefix' })}>
            <option value="exact">Exactly</option>
            <option value="prefix">Starts with</option>
          </select>
        </label>
      </form>
      <label className="filters__field">
        <span>From</span>
        <input name="from" type="date" value={filter.from ?? ''} max={filter.to ?? undefined} onChange={(e) => onChange({ ...filter, from: e.target.value || null })} />
      </label>
      <label className="filters__field">
        <span>To</span>
        <input name="to" type="date" value={filter.to ?? ''} min={filter.from ?? undefined} onChange={(e) => onChange({ ...filter, to: e.target.value || null })} />
      </label>
      <label className="filters__field">
        <span>Verdict</span>
        <select value={filter.verdict ?? ''} onChange={(e) => onChange({ ...filter, verdict: (e.target.value || null) as Verdict | null })}>
          <option value="">All</option>
          {(['pass', 'warn', 'fail'] as const).map((v) => (
            <option key={v} value={v}>
              {verdictLook[v].icon} {verdictLook[v].word}
            </option>
          ))}
        </select>
      </label>
      <label className="filters__field">
        <span>Source</span>
        <select value={filter.sourceId ?? ''} onChange={(e) => onChange({ ...filter, sourceId: e.target.value || null })}>
          <option value="">All</option>
          {sources.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

export interface HistoryPanelProps {
  items: readonly CaptureRecord[];
  filter: HistoryFilter;
  sources: readonly string[];
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  selectedIndex: number;
  detail: CaptureDetail | null;
  onFilter(f: HistoryFilter): void;
  onSelect(index: number): void;
  onNearEnd(): void;
  onShowInCaptureView?(id: number): void;
  /** Relink / rename / re-shoot / undo on the selected capture; absent = read-only. */
  onEdit?(req: LinkEditRequest): void;
  editBusy?: boolean;
  editMessage?: LinkEditMessage | null;
  /** The edit Undo would undo now (any capture's); null: none; absent: not known yet. */
  lastEdit?: LastEdit | null;
  /** A monitor's screen: a note stands where the link fixes would be. */
  readOnly?: boolean;
  /** The capture shown is no longer in the list (a fix or a recheck moved it out of the filter). */
  detailOutsideList?: boolean;
}

export function HistoryPanel(p: HistoryPanelProps) {
  return (
    <section className="view history" aria-labelledby="history-title">
      <div className="view__head">
        <h2 id="history-title" className="view__title">
          History
        </h2>
        <HistoryFilters filter={p.filter} sources={p.sources} onChange={p.onFilter} />
        <span className="view__note" aria-live="polite">
          {p.items.length.toLocaleString()}
          {p.hasMore ? '+' : ''} {p.items.length === 1 && !p.hasMore ? 'capture' : 'captures'}
          {p.loading ? ' · loading…' : ''}
        </span>
      </div>
      {p.error && (
        <p className="notice" role="alert">
          {p.error}
        </p>
      )}
      <div className="history__body">
        <div className="history__list">
          {p.items.length === 0 && !p.loading ? (
            <p className="view__empty">No captures{isFiltered(p.filter) ? ' match this filter' : ' yet'}.</p>
          ) : (
            <VirtualList
              items={p.items}
              rowHeight={historyRowHeight}
              keyOf={(c) => c.id}
              renderRow={(c) => <HistoryRow capture={c} />}
              selectedIndex={p.selectedIndex}
              onSelect={p.onSelect}
              onNearEnd={p.onNearEnd}
              label="Captures, newest first"
            />
          )}
        </div>
        <div className="history__detail">
          {p.detail ? (
            <>
              {p.detailOutsideList && <OutsideListNote />}
              {p.readOnly ? <ReadOnlyNote>relinking, renaming, splitting, merging, re-shoot flags and undo are done on the operator's screen.</ReadOnlyNote> : p.onEdit && <LinkActions key={p.detail.id} capture={p.detail} busy={p.editBusy ?? false} message={p.editMessage ?? null} lastEdit={p.lastEdit} onEdit={p.onEdit} />}
              <CaptureDetailPanel capture={p.detail} {...(p.onShowInCaptureView ? { onShowInCaptureView: p.onShowInCaptureView } : {})} />
            </>
          ) : (
            <p className="view__empty">Pick a capture to see its checks and timeline (arrow keys move through the list).</p>
          )}
        </div>
      </div>
    </section>
  );
}

/** History: every capture, paged from the station 500 at a time as the list scrolls, filtered by verdict and source, live. */
export function HistoryView({
  client,
  subscribe,
  sources,
  onShowInCaptureView,
  readOnly = false,
  onLinkEdited,
}: {
  client: StationClient;
  subscribe(l: StationListener): () => void;
  sources: readonly string[];
  onShowInCaptureView(id: number): void;
  readOnly?: boolean;
  /** A link fix went through: an object open on the rig may have been renamed or changed its shots. */
  onLinkEdited?(): void;
}) {
  const [filter, setFilter] = useState<HistoryFilter>({ verdict: null, sourceId: null });
  const [items, setItems] = useState<CaptureRecord[]>([]);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [detail, setDetail] = useState<CaptureDetail | null>(null);
  const [editBusy, setEditBusy] = useState(false);
  const [editMessage, setEditMessage] = useState<LinkEditMessage | null>(null);
  const [detailVersion, setDetailVersion] = useState(0);
  const [lastEdit, setLastEdit] = useState<LastEdit | null | undefined>(undefined);
  const generation = useRef(0);
  const busy = useRef(false);
  const state = useRef({ items, filter, hasMore, selectedId, detailBarcode: null as string | null });
  state.current = { items, filter, hasMore, selectedId, detailBarcode: detail?.id === selectedId ? (detail?.link?.barcode ?? null) : null };

  const loadMore = useCallback(
    async (reset = false) => {
      if (busy.current && !reset) return;
      const { items: have, filter: f, hasMore: more } = state.current;
      if (!reset && !more) return;
      const gen = reset ? ++generation.current : generation.current;
      busy.current = true;
      setLoading(true);
      const q = nextPageQuery(reset ? [] : have, f);
      const r = await client.listCaptures(q);
      if (gen !== generation.current) return;
      busy.current = false;
      setLoading(false);
      if ('error' in r) {
        setError(r.error.message);
        return;
      }
      setError(null);
      setHasMore(r.result.length === q.limit);
      setItems((prev) => appendPage(reset ? [] : prev, r.result));
    },
    [client],
  );

  useEffect(() => {
    state.current.filter = filter;
    setItems([]);
    setHasMore(true);
    busy.current = false;
    void loadMore(true);
  }, [filter, loadMore]);

  // New captures join the list as they are recorded. Changes to captures already recorded (linked,
  // relinked, filed, uploaded, alarmed about) refresh the rows they touch, one row query each, and
  // the open detail: never the whole list. A burst of them (an object relinked, an upload running)
  // is taken together, at most every 250 ms.
  useEffect(() => {
    const changed = new Set<number>();
    let detailStale = false;
    const refresh = throttle(() => {
      if (detailStale) setDetailVersion((v) => v + 1);
      detailStale = false;
      const f = state.current.filter;
      for (const id of changed) {
        if (!rowMayChange(state.current.items, id, f)) continue;
        void client.listCaptures(membershipQuery(id, f)).then((r) => {
          // A failed ask leaves the row as it was; one asked under a filter since changed is the new filter's load's.
          if ('error' in r || state.current.filter !== f) return;
          const row = r.result[0]?.id === id ? r.result[0] : null;
          setItems((prev) => applyRefreshed(prev, id, row, f));
        });
      }
      changed.clear();
    }, 250);
    const off = subscribe((m) => {
      if (m.event === 'reconnected') {
        void loadMore(true);
        return;
      }
      if (m.event === 'capture.recorded' || m.event === 'capture.rechecked') {
        const c = m.payload.capture;
        const f = state.current.filter;
        if (!f.barcode) setItems((prev) => applyLive(prev, c, f));
        else
          void client.listCaptures(membershipQuery(c.id, f)).then((r) => {
            // Asked under a search that has since changed: the new search's own load has it.
            if (state.current.filter === f) setItems((prev) => applyLive(prev, c, f, 'error' in r ? undefined : r.result[0]?.id === c.id));
          });
      }
      if (m.event === 'capture.changed') changed.add(m.payload.captureId);
      const { selectedId: open, detailBarcode } = state.current;
      if (open !== null && touchesDetail(m, open, detailBarcode)) detailStale = true;
      if (m.event === 'capture.changed' || detailStale) refresh();
    });
    return () => {
      off();
      refresh.cancel();
    };
  }, [subscribe, loadMore, client]);

  useEffect(() => {
    if (selectedId === null) return;
    let stale = false;
    void client.getCapture({ id: selectedId }).then((r) => {
      if (stale) return;
      if ('error' in r) setError(r.error.message);
      else setDetail(r.result);
    });
    return () => {
      stale = true;
    };
  }, [client, selectedId, detailVersion]);

  useEffect(() => setEditMessage(null), [selectedId]);
  const { outside } = useSelectionInList(client, selectedId, items, filter, setSelectedId);

  // What Undo would undo: asked again with each capture picked and after each edit (an edit made
  // elsewhere meanwhile is then named too). A monitor's screen has no Undo, so it does not ask.
  useEffect(() => {
    if (readOnly || selectedId === null) return;
    let stale = false;
    void client.lastLinkEdit({}).then((r) => {
      if (!stale) setLastEdit('error' in r ? undefined : r.result);
    });
    return () => {
      stale = true;
    };
  }, [client, readOnly, selectedId, detailVersion]);

  const onEdit = useCallback(
    (req: LinkEditRequest) => {
      if (!detail) return;
      setEditBusy(true);
      void runLinkEdit(client, detail, req).then((m) => {
        setEditBusy(false);
        setEditMessage(m);
        // The capture's link, name and timeline may have changed, and so what Undo would undo (a
        // refusal too: another screen may have undone that edit first). The rows it touched (a
        // barcode search may now find others) follow from the station's capture.changed events.
        setDetailVersion((v) => v + 1);
        if (!m.ok) return;
        onLinkEdited?.();
      });
    },
    [client, detail, onLinkEdited],
  );

  const selectedIndex = selectedId === null ? -1 : items.findIndex((c) => c.id === selectedId);
  const onNearEnd = useCallback(() => void loadMore(), [loadMore]);

  return (
    <HistoryPanel
      items={items}
      filter={filter}
      sources={sources}
      hasMore={hasMore}
      loading={loading}
      error={error}
      selectedIndex={selectedIndex}
      detail={selectedId !== null && detail?.id === selectedId ? detail : null}
      onFilter={setFilter}
      onSelect={(i) => setSelectedId(items[i]?.id ?? null)}
      onNearEnd={onNearEnd}
      onShowInCaptureView={onShowInCaptureView}
      onEdit={onEdit}
      readOnly={readOnly}
      editBusy={editBusy}
      editMessage={editMessage}
      lastEdit={lastEdit}
      detailOutsideList={outside}
    />
  );
}
