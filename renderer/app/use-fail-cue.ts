/** The fail cue wired to the live events, with the station's setting (ui.soundOnFail) and this screen's mute. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { FailCue, webAudioPlayer, type TonePlayer } from './fail-cue.js';
import type { StationListener } from './use-station.js';

const mutedKey = 'capture-station.muted';

export function useFailCue(subscribe: (l: StationListener) => () => void, soundOnFail: boolean, player?: TonePlayer): { muted: boolean; toggleMute(): void } {
  const [muted, setMuted] = useState(() => readMuted());
  const cue = useRef<FailCue | null>(null);
  const wanted = useRef(soundOnFail && !muted);
  wanted.current = soundOnFail && !muted;

  useEffect(() => {
    cue.current ??= new FailCue(player ?? webAudioPlayer());
    const c = cue.current;
    return subscribe((m) => c.observe(m, wanted.current));
  }, [subscribe]);

  const toggleMute = useCallback(() => {
    setMuted((m) => {
      try {
        localStorage.setItem(mutedKey, m ? '0' : '1');
      } catch {
        // storage may be off; the choice then lasts for this page only
      }
      return !m;
    });
  }, []);

  return { muted, toggleMute };
}

function readMuted(): boolean {
  try {
    return localStorage.getItem(mutedKey) === '1';
  } catch {
    return false;
  }
}
