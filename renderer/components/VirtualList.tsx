import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { moveSelection, scrollToReveal, visibleWindow } from '../app/windowing.js';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  keyOf(item: T): string | number;
  renderRow(item: T, index: number, selected: boolean): ReactNode;
  selectedIndex: number;
  onSelect(index: number): void;
  /** Called when the drawn rows come near the end of what is loaded. */
  onNearEnd?(): void;
  label: string;
  /** Before the list is measured (and in server rendering). */
  initialViewportHeight?: number;
}

/**
 * A windowed list: only the rows in view (plus a few) are in the DOM, placed inside a spacer as
 * tall as the whole list, so 100,000 rows scroll as lightly as 20. Arrow keys, Page Up/Down,
 * Home and End move the selection and keep it in view.
 */
export function VirtualList<T>({ items, rowHeight, keyOf, renderRow, selectedIndex, onSelect, onNearEnd, label, initialViewportHeight = 800 }: VirtualListProps<T>) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(initialViewportHeight);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    setViewport(el.clientHeight);
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const range = visibleWindow({ count: items.length, rowHeight, viewportHeight: viewport, scrollTop });

  useEffect(() => {
    if (onNearEnd && range.end + 50 >= items.length) onNearEnd();
  }, [range.end, items.length, onNearEnd]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = moveSelection(e.key, selectedIndex, items.length, Math.floor(viewport / rowHeight));
    if (next === null) return;
    e.preventDefault();
    onSelect(next);
    const el = box.current;
    if (el) {
      const top = scrollToReveal(next, rowHeight, el.clientHeight, el.scrollTop);
      if (top !== el.scrollTop) el.scrollTop = top;
    }
  };

  const rows: ReactNode[] = [];
  for (let i = range.start; i < range.end; i++) {
    const item = items[i]!;
    const selected = i === selectedIndex;
    rows.push(
      <div
        key={keyOf(item)}
        id={`vrow-${keyOf(item)}`}
        role="option"
        aria-selected={selected}
        aria-posinset={i + 1}
        aria-setsize={items.length}
        className="vlist__row"
        style={{ top: i * rowHeight, height: rowHeight }}
        onClick={() => onSelect(i)}
      >
        {renderRow(item, i, selected)}
      </div>,
    );
  }
  const active = items[selectedIndex];

  return (
    <div
      ref={box}
      className="vlist"
      role="listbox"
      aria-label={label}
      tabIndex={0}
      aria-activedescendant={active !== undefined ? `vrow-${keyOf(active)}` : undefined}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div className="vlist__spacer" style={{ height: range.totalHeight }}>
        {rows}
      </div>
    </div>
  );
}
