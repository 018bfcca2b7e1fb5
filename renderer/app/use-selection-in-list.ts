/**
 * History's selection follows its list. When the picked capture is not in the filtered list:
 * - after the filter changed (the person narrowed the list), the selection is cleared — else its
 *   detail and its relink / rename / re-shoot / undo actions would stay on a capture the list says
 *   is not there;
 * - after the capture itself changed under the same filter (a relink moved it out of a barcode
 *   search, a recheck changed its verdict), it stays picked so the answer of the fix stays in view,
 *   and `outside` says it is no longer in this list.
 * A capture beyond the pages loaded so far may still be in the list, so the station is asked
 * (membershipQuery); only its "no", for the same selection and filter, counts.
 */
import { useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import type { CaptureRecord } from '../contract.js';
import type { StationClient } from '../transport/http-client.js';
import { membershipQuery, type HistoryFilter } from './history-state.js';

export function useSelectionInList(client: StationClient, selectedId: number | null, items: readonly CaptureRecord[], filter: HistoryFilter, select: Dispatch<SetStateAction<number | null>>): { outside: boolean } {
  const listed = selectedId !== null && items.some((c) => c.id === selectedId);
  /** The filter under which the selection was last seen in the list (or picked). */
  const seenUnder = useRef<{ id: number | null; filter: HistoryFilter }>({ id: null, filter });
  const [outsideOf, setOutsideOf] = useState<{ id: number; filter: HistoryFilter } | null>(null);

  // In the render where the filter changes, the list is still the previous filter's: its say is not taken.
  const filterBefore = useRef(filter);
  useEffect(() => {
    const listOfFilter = filterBefore.current === filter;
    filterBefore.current = filter;
    if (listed && listOfFilter) seenUnder.current = { id: selectedId, filter };
  }, [listed, selectedId, filter]);

  useEffect(() => {
    if (selectedId === null || listed) return;
    let stale = false;
    void client.listCaptures(membershipQuery(selectedId, filter)).then((r) => {
      // An error leaves the selection as it is: the list's own load reports it.
      if (stale || 'error' in r || r.result[0]?.id === selectedId) return;
      const seen = seenUnder.current;
      if (seen.id === selectedId && seen.filter === filter) setOutsideOf({ id: selectedId, filter });
      else select((current) => (current === selectedId ? null : current));
    });
    return () => {
      stale = true;
    };
  }, [client, selectedId, listed, filter, select]);

  return { outside: !listed && outsideOf !== null && outsideOf.id === selectedId && outsideOf.filter === filter };
}
