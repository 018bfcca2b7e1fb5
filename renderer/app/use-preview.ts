/**
 * The preview of the capture on screen, asked of the core when the capture changes. The last few
 * are kept in the page, so stepping back and forth through recent captures does not ask again.
 * The core makes a preview only while QC is idle, so during a stream of captures a request can
 * wait long: the one for a capture no longer on screen is withdrawn, so only the newest is ever
 * waited for (and a browser's few connections to the station are not all held by stale ones).
 */
import { useEffect, useRef, useState } from 'react';
import type { ResultOf, StationHandlers } from '../contract.js';
import type { StationClient } from '../transport/http-client.js';

export type PreviewResult = ResultOf<StationHandlers, 'capturePreview'>;

export type PreviewState = { status: 'none' } | { status: 'loading'; captureId: number } | { status: 'ready'; preview: PreviewResult } | { status: 'error'; captureId: number; message: string };

const kept = 8;

export function usePreview(client: StationClient, captureId: number | null): PreviewState {
  const [state, setState] = useState<PreviewState>({ status: 'none' });
  const recent = useRef(new Map<number, PreviewResult>());

  useEffect(() => {
    if (captureId === null) {
      setState({ status: 'none' });
      return;
    }
    const known = recent.current.get(captureId);
    if (known) {
      setState({ status: 'ready', preview: known });
      return;
    }
    const asked = new AbortController();
    setState({ status: 'loading', captureId });
    void client.capturePreview({ id: captureId }, { signal: asked.signal }).then((reply) => {
      if (asked.signal.aborted) return;
      if ('error' in reply) {
        setState({ status: 'error', captureId, message: reply.error.message });
        return;
      }
      recent.current.set(captureId, reply.result);
      if (recent.current.size > kept) recent.current.delete(recent.current.keys().next().value!);
      setState({ status: 'ready', preview: reply.result });
    });
    return () => asked.abort();
  }, [client, captureId]);

  return state;
}
