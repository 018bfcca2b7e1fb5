/**
 * Windowing for long lists: which rows to put in the DOM for a scroll position, so 100,000 captures
 * cost as much to draw as twenty. Rows have one fixed height. Pure, so it is tested in Node.
 */

export interface WindowInput {
  count: number;
  rowHeight: number;
  viewportHeight: number;
  scrollTop: number;
  /** Rows drawn beyond each edge, so a fast scroll does not show blank space. */
  overscan?: number;
}

export interface WindowRange {
  /** First row drawn (inclusive). */
  start: number;
  /** Row after the last one drawn (exclusive). */
  end: number;
  /** Where the first drawn row sits, in px from the list's top. */
  offset: number;
  /** The height of the whole list, in px (the scrollbar's range). */
  totalHeight: number;
}

export function visibleWindow({ count, rowHeight, viewportHeight, scrollTop, overscan = 4 }: WindowInput): WindowRange {
  const total = Math.max(0, count) * rowHeight;
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, offset: 0, totalHeight: 0 };
  const maxScroll = Math.max(0, total - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxScroll);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offset: start * rowHeight, totalHeight: total };
}

/** The scrollTop that brings row `index` fully into view with the least movement (unchanged if it already is). */
export function scrollToReveal(index: number, rowHeight: number, viewportHeight: number, scrollTop: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/** The row a navigation key moves the selection to, within [0, count). */
export function moveSelection(key: string, index: number, count: number, pageRows: number): number | null {
  if (count === 0) return null;
  const page = Math.max(1, pageRows - 1);
  const clamp = (i: number) => Math.min(count - 1, Math.max(0, i));
  switch (key) {
    case 'ArrowDown':
      return clamp(index < 0 ? 0 : index + 1);
    case 'ArrowUp':
      return clamp(index < 0 ? 0 : index - 1);
    case 'PageDown':
      return clamp(index + page);
    case 'PageUp':
      return clamp(index - page);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** True when the drawn window comes near the end of what is loaded, and more may be fetched. */
export function needsMore(range: WindowRange, loaded: number, hasMore: boolean, margin = 50): boolean {
  return hasMore && range.end + margin >= loaded;
}
