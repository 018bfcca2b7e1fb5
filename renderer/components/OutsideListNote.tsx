/** Said above a History detail whose capture the list no longer shows, so its actions are not mistaken for the list's. */
export function OutsideListNote() {
  return (
    <p className="notice history__outside" role="status" data-testid="detail-outside-list">
      <span aria-hidden="true">⚠ </span>
      <strong>Not in this list any more</strong>: this capture changed and the search or filters now leave it out. The fixes below still act on it.
    </p>
  );
}
