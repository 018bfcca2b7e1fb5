/**
 * The preview of the capture on screen, asked of the core when the capture changes. The last few
 * are kept in the page, so stepping back and forth through recent captures does not ask again.
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
    let live = true;
    setState({ status: 'loading', captureId });
    void client.capturePreview({ id: captureId }).then((reply) => {
      if (!live) return;
      if ('error' in reply) {
        setState({ status: 'error', captureId, message: reply.error.message });
        return;
      }
      recent.current.set(captureId, reply.result);
      if (recent.current.size > kept) recent.current.delete(recent.current.keys().next().value!);
      setState({ status: 'ready', preview: reply.result });
    });
    return () => {
      live = false;
    };
  }, [client, captureId]);

  return state;
}
