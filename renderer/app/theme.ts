/** Dark by default (dimmed imaging rooms); the choice is kept per browser. */
import { useEffect, useState } from 'react';

export type Theme = 'dark' | 'light';
const key = 'capture-station.theme';

export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => (readStored() === 'light' ? 'light' : 'dark'));
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    try {
      localStorage.setItem(key, theme);
    } catch {
      // storage may be off; the theme then lasts for this page only
    }
  }, [theme]);
  return [theme, () => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))];
}

function readStored(): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
