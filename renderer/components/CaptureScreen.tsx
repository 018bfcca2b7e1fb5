import { useCallback, useEffect, useState } from 'react';
import { captureKeyAction } from '../app/capture-keys.js';
import { linkLine } from '../app/format.js';
import { isWaiting } from '../app/linking-state.js';
import { usePreview } from '../app/use-preview.js';
import type { StationView } from '../app/use-station.js';
import type { StationClient } from '../transport/http-client.js';
import { CaptureView, type CaptureViewProps } from './CaptureView.js';

export interface CaptureScreenProps {
  client: StationClient;
  station: Pick<StationView, 'current' | 'following' | 'followLatest' | 'status'>;
  inboxes: readonly string[];
  sound: CaptureViewProps['sound'];
}

/** The capture view with its state: the preview of the capture on screen, the overlay toggle and the view's keys. */
export function CaptureScreen({ client, station, inboxes, sound }: CaptureScreenProps) {
  const preview = usePreview(client, station.current?.id ?? null);
  const [overlay, setOverlay] = useState(false);
  const toggleOverlay = useCallback(() => setOverlay((o) => !o), []);
  const { onToggleMute, enabled } = sound;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = captureKeyAction(e);
      if (!action || (action === 'mute' && !enabled)) return;
      e.preventDefault();
      if (action === 'overlay') toggleOverlay();
      else onToggleMute();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggleOverlay, onToggleMute, enabled]);

  const current = station.current;
  const linking = station.status?.linking.enabled ?? false;
  const link = current && linking ? linkLine(current, isWaiting(station.status?.waitingShots ?? {}, current.sourceId, current.relPath)) : null;

  return (
    <CaptureView
      capture={current}
      link={link}
      following={station.following}
      inboxes={inboxes}
      onFollowLatest={station.followLatest}
      preview={preview}
      overlay={overlay}
      onToggleOverlay={toggleOverlay}
      sound={sound}
    />
  );
}
